package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHash64JSONRoundTrip(t *testing.T) {
	for _, h := range []Hash64{0, 1, 0xdeadbeefcafebabe, ^Hash64(0)} {
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 18 {
			t.Errorf("%v marshals to %s: want 16 hex digits in quotes", uint64(h), b)
		}
		var got Hash64
		if err := json.Unmarshal(b, &got); err != nil || got != h {
			t.Errorf("round trip of %s = %v, %v", b, got, err)
		}
	}
}

func TestParseHash64Rejects(t *testing.T) {
	for _, s := range []string{"", "abc", "zzzzzzzzzzzzzzzz", "00000000000000000", "-000000000000001", "+00000000000000f"} {
		if _, err := ParseHash64(s); ErrorCode(err) != EInvalid {
			t.Errorf("ParseHash64(%q) = %v, want an invalid error", s, err)
		}
	}
	var h Hash64
	if err := json.Unmarshal([]byte(`12`), &h); err == nil {
		t.Error("a JSON number was accepted as a hash")
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b Hash64
		want int
	}{{0, 0, 0}, {0, 1, 1}, {0, ^Hash64(0), 64}, {0xf0, 0x0f, 8}}
	for _, tt := range tests {
		if got := tt.a.Distance(tt.b); got != tt.want || tt.b.Distance(tt.a) != tt.want {
			t.Errorf("Distance(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestActionRankOrder(t *testing.T) {
	order := []Action{ActionAllow, ActionTrack, ActionAttribute, ActionReview, ActionTakedown, ActionBlock}
	for i := 1; i < len(order); i++ {
		if order[i].Rank() <= order[i-1].Rank() {
			t.Errorf("%s must rank above %s", order[i], order[i-1])
		}
	}
	if Action("bogus").Rank() != 0 {
		t.Error("unknown actions must rank lowest")
	}
}

func TestErrorCodes(t *testing.T) {
	base := Errorf(ENotFound, "video %q not found", "x")
	wrapped := fmt.Errorf("open: %w", base)
	if ErrorCode(wrapped) != ENotFound || ErrorMessage(wrapped) != `video "x" not found` {
		t.Errorf("code/message lost through wrapping: %q %q", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire")
	if ErrorCode(plain) != EInternal || ErrorMessage(plain) != "internal error" {
		t.Error("plain errors must be internal and must not leak their text")
	}
	if ErrorCode(nil) != "" {
		t.Error("nil has no code")
	}
	w := WrapError(EInvalid, plain, "bad file")
	if !errors.Is(w, plain) || !strings.Contains(w.Error(), "disk on fire") {
		t.Error("WrapError must keep its cause")
	}
}

func TestVideoValidate(t *testing.T) {
	ok := Video{ID: "tiktok:1", Platform: "tiktok"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Video{
		"empty id":      {Platform: "p"},
		"long id":       {ID: strings.Repeat("x", 257), Platform: "p"},
		"newline id":    {ID: "a\nb", Platform: "p"},
		"no platform":   {ID: "a"},
		"negative dur":  {ID: "a", Platform: "p", Duration: -1},
		"long platform": {ID: "a", Platform: strings.Repeat("p", 65)},
	}
	for name, v := range bad {
		if err := v.Validate(); ErrorCode(err) != EInvalid {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}

func TestZeroTimesAreOmitted(t *testing.T) {
	b, _ := json.Marshal(Video{ID: "a", Platform: "p"})
	if strings.Contains(string(b), "published") {
		t.Errorf("zero publish time must be omitted: %s", b)
	}
	b, _ = json.Marshal(Upload{ID: "u", Published: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if !strings.Contains(string(b), `"published_at":"2026-01-02T00:00:00Z"`) {
		t.Errorf("publish time missing: %s", b)
	}
}

func FuzzParseHash64(f *testing.F) {
	for _, s := range []string{"0000000000000000", "ffffffffffffffff", "xyz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash64(s)
		if err != nil {
			return
		}
		if back, err := ParseHash64(h.String()); err != nil || back != h {
			t.Fatalf("%q parsed to %v which does not round-trip", s, h)
		}
	})
}

func TestVariantMirrored(t *testing.T) {
	for v, want := range map[Variant]bool{
		VariantFull: false, VariantMirror: true, "inset": false, "inset" + MirrorSuffix: true, "crop3": false,
	} {
		if got := v.Mirrored(); got != want {
			t.Errorf("%q.Mirrored() = %v, want %v", v, got, want)
		}
	}
}
