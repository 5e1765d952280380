package httpstatus

import (
	"net/http"
	"testing"

	"github.com/copycat-video/copycat/models"
)

func TestOf(t *testing.T) {
	tests := map[string]int{
		models.EInvalid:      http.StatusBadRequest,
		models.EUnauthorized: http.StatusUnauthorized,
		models.EForbidden:    http.StatusForbidden,
		models.ENotFound:     http.StatusNotFound,
		models.EConflict:     http.StatusConflict,
		models.ETooLarge:     http.StatusRequestEntityTooLarge,
		models.EUnavailable:  http.StatusServiceUnavailable,
		models.EInternal:     http.StatusInternalServerError,
		"":                   http.StatusInternalServerError,
		"made_up":            http.StatusInternalServerError,
	}
	for code, want := range tests {
		if got := Of(code); got != want {
			t.Errorf("Of(%q) = %d, want %d", code, got, want)
		}
	}
}
