package milvus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/copycat-video/copycat/models"
)

// RetryPolicy is a bounded exponential backoff for operations that failed
// because the server was unreachable (models.EUnavailable). Other errors
// are returned at once: retrying a bad request only delays the answer.
type RetryPolicy struct {
	// Attempts is the total number of tries (default 4; 1 disables retry).
	Attempts int
	// Initial is the first pause (default 200ms); each pause doubles, with
	// up to 20% jitter so that many clients do not reconnect in lockstep.
	Initial time.Duration
	// Max caps one pause (default 5s).
	Max time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Initial <= 0 {
		p.Initial = 200 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	return p
}

// Do runs fn until it succeeds, fails with an error other than
// EUnavailable, the attempts are used up or ctx is done. It returns fn's
// last error (or ctx's error wrapped as EUnavailable).
func (p RetryPolicy) Do(ctx context.Context, log *slog.Logger, what string, fn func(ctx context.Context) error) error {
	p = p.withDefaults()
	pause := p.Initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || models.ErrorCode(err) != models.EUnavailable || attempt >= p.Attempts {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		d := pause + time.Duration(rand.Int64N(int64(pause)/5+1))
		if log != nil {
			log.Warn("milvus unavailable, retrying", "op", what, "attempt", attempt, "of", p.Attempts, "in", d.Round(time.Millisecond), "err", err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return models.WrapError(models.EUnavailable, ctx.Err(), "%s: gave up after %d attempts", what, attempt)
		case <-t.C:
		}
		pause = min(pause*2, p.Max)
	}
}

// classify wraps an SDK error in a models.Error whose code says what the
// caller can do about it; the message names the operation and address.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var me *models.Error
	if errors.As(err, &me) {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return models.WrapError(models.EUnavailable, err, "%s: timed out", msg)
	case errors.Is(err, context.Canceled):
		return models.WrapError(models.EUnavailable, err, "%s: cancelled", msg)
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.OK && s.Code() != codes.Unknown {
		switch s.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
			return models.WrapError(models.EUnavailable, err, "%s: server unavailable", msg)
		case codes.NotFound:
			return models.WrapError(models.ENotFound, err, "%s", msg)
		case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
			return models.WrapError(models.EInvalid, err, "%s", msg)
		case codes.Unauthenticated:
			return models.WrapError(models.EUnauthorized, err, "%s", msg)
		case codes.PermissionDenied:
			return models.WrapError(models.EForbidden, err, "%s", msg)
		}
		return models.WrapError(models.EInternal, err, "%s", msg)
	}
	// Milvus reports most failures as a status reason inside a successful
	// RPC; the SDK turns them into plain errors, so the text is all we have.
	text := strings.ToLower(err.Error())
	switch {
	case strings.Contains(text, "not ready"), strings.Contains(text, "not healthy"),
		strings.Contains(text, "connection refused"), strings.Contains(text, "client not ready"),
		strings.Contains(text, "rate limit"), strings.Contains(text, "quota exceeded"):
		return models.WrapError(models.EUnavailable, err, "%s: server unavailable", msg)
	case strings.Contains(text, "not found"), strings.Contains(text, "not exist"):
		return models.WrapError(models.ENotFound, err, "%s", msg)
	}
	return models.WrapError(models.EInternal, err, "%s", msg)
}
