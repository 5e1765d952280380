package milvus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/milvus-io/milvus-sdk-go/v2/entity"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/index/indextest"
	"github.com/copycat-video/copycat/models"
)

// Tests here need a real server (COPYCAT_TEST_MILVUS) and cover what the
// conformance suite cannot: Milvus-specific failures and limits.

func TestOpenMissingCollection(t *testing.T) {
	addr := serverAddr(t)
	target := fmt.Sprintf("milvus://%s/cctest_missing_%d", addr, vidOf(t.Name())%1e9)
	_, err := Open(context.Background(), target, Options{})
	if models.ErrorCode(err) != models.ENotFound {
		t.Fatalf("open without create: %v (code %s), want ENotFound", err, models.ErrorCode(err))
	}
	if msg := err.Error(); !strings.Contains(msg, addr) || !strings.Contains(msg, "not found") {
		t.Errorf("message %q does not name the address and the missing collection", msg)
	}
}

// TestOpenForeignCollection points the index at a collection of another
// schema: refused with EInvalid, and the collection is left alone.
func TestOpenForeignCollection(t *testing.T) {
	ctx := context.Background()
	x, target := freshIndex(t, Options{})
	coll := x.collection(models.KindAHash)
	if err := x.c.DropCollection(ctx, coll); err != nil {
		t.Fatal(err)
	}
	foreign := entity.NewSchema().WithName(coll).
		WithField(entity.NewField().WithName("id").WithDataType(entity.FieldTypeInt64).WithIsPrimaryKey(true)).
		WithField(entity.NewField().WithName("emb").WithDataType(entity.FieldTypeFloatVector).WithDim(4))
	if err := x.c.CreateCollection(ctx, foreign, 1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, target, Options{Create: true})
	if models.ErrorCode(err) != models.EInvalid || !strings.Contains(err.Error(), coll) {
		t.Errorf("open over a foreign collection: %v, want EInvalid naming %s", err, coll)
	}
	got, err := x.c.DescribeCollection(ctx, coll)
	if err != nil || len(got.Schema.Fields) != 2 {
		t.Errorf("foreign collection changed: %+v, %v", got, err)
	}
	// Drop can still remove the index's own collections and the foreign one.
	x.Close()
}

// TestHostileIDs stores ids that need escaping inside Milvus expressions.
func TestHostileIDs(t *testing.T) {
	ctx := context.Background()
	x, _ := freshIndex(t, Options{})
	ids := []string{`a"b`, `c\d`, `e'f`, "g\th", "ü中", `" || id != "`, `\"`, "z"}
	for i, id := range ids {
		hs := []models.FrameHash{{T: 1, Kind: models.KindPHash, Bits: models.Hash64(i + 1)}}
		if err := x.Add(ctx, indextest.Video(id), hs); err != nil {
			t.Fatalf("add %q: %v", id, err)
		}
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for i, after := range append([]string{""}, sorted...) {
		vs, err := x.Videos(ctx, after, 0)
		if err != nil {
			t.Fatalf("videos after %q: %v", after, err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.ID)
		}
		if want := sorted[i:]; !slices.Equal(got, want) {
			t.Errorf("videos after %q: %q, want %q", after, got, want)
		}
	}
	for _, id := range ids {
		if v, err := x.Video(ctx, id); err != nil || v.ID != id {
			t.Errorf("video %q: %+v, %v", id, v, err)
		}
	}
	if err := x.Delete(ctx, `" || id != "`); err != nil {
		t.Fatal(err)
	}
	st, err := x.Stats(ctx)
	if err != nil || st.Videos != len(ids)-1 || st.Hashes != len(ids)-1 {
		t.Errorf("stats after deleting one: %+v, %v", st, err)
	}
}

// TestSharedByTwoClients: a second handle (another copycat process) sees a
// write of the first at once, and the reverse.
func TestSharedByTwoClients(t *testing.T) {
	ctx := context.Background()
	a, target := freshIndex(t, Options{})
	b, err := Open(ctx, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := models.FrameHash{T: 2, Kind: models.KindDHash, Bits: 0xfeedface}
	if err := a.Add(ctx, indextest.Video("shared"), []models.FrameHash{h}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Search(ctx, []models.FrameHash{h}, index.SearchOptions{Radius: 0})
	if err != nil || len(res[0]) != 1 || res[0][0].VideoID != "shared" {
		t.Fatalf("other client's search: %v, %v", res, err)
	}
	if err := b.Delete(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Video(ctx, "shared"); models.ErrorCode(err) != models.ENotFound {
		t.Errorf("video deleted by the other client: %v, want ENotFound", err)
	}
}

// TestSearchBeyondMilvusCap stores more frames with one hash than one
// Milvus search can return (16384). Without a top-k the answer must be
// complete (fetched distance by distance) or, when one distance alone
// overflows, a clear ETooLarge error, never silently truncated.
func TestSearchBeyondMilvusCap(t *testing.T) {
	ctx := context.Background()
	x, _ := freshIndex(t, Options{})
	const near, far = 10_000, 7_000 // at distance 0 and 1: 17,000 in all
	base := models.Hash64(0x0f0f0f0f0f0f0f0f)
	var batch []index.VideoHashes
	for v := range 17 {
		hs := make([]models.FrameHash, 1000)
		for i := range hs {
			bits := base
			if v*1000+i >= near {
				bits ^= 1 << (i % 64)
			}
			hs[i] = models.FrameHash{T: float64(i), Kind: models.KindPHash, Bits: bits}
		}
		batch = append(batch, index.VideoHashes{Video: indextest.Video(fmt.Sprintf("cap-%02d", v)), Hashes: hs})
	}
	if err := x.AddBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	q := []models.FrameHash{{Kind: models.KindPHash, Bits: base}}
	res, err := x.Search(ctx, q, index.SearchOptions{Radius: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0]) != near+far {
		t.Errorf("radius 1: %d neighbours, want %d", len(res[0]), near+far)
	}
	res, err = x.Search(ctx, q, index.SearchOptions{Radius: 1, TopK: 50})
	if err != nil || len(res[0]) != 50 || res[0][49].Distance != 0 || res[0][0].VideoID != "cap-00" {
		t.Errorf("radius 1, top 50: %d neighbours, %v", len(res[0]), err)
	}

	// A second copy of the distance-0 frames pushes that band past the cap.
	var more []index.VideoHashes
	for v := range 7 {
		hs := make([]models.FrameHash, 1000)
		for i := range hs {
			hs[i] = models.FrameHash{T: float64(i), Kind: models.KindPHash, Bits: base}
		}
		more = append(more, index.VideoHashes{Video: indextest.Video(fmt.Sprintf("cap-more-%d", v)), Hashes: hs})
	}
	if err := x.AddBatch(ctx, more); err != nil {
		t.Fatal(err)
	}
	_, err = x.Search(ctx, q, index.SearchOptions{Radius: 0})
	if models.ErrorCode(err) != models.ETooLarge {
		t.Errorf("17,000 frames at distance 0 without top-k: %v, want ETooLarge", err)
	}
}
