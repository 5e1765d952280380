// Package httpstatus is the one mapping from copycat's application error
// codes (models.E*) to HTTP statuses, shared by the JSON API (web) and the
// pages (web/ui) so that the two can never answer the same error differently.
package httpstatus

import (
	"net/http"

	"github.com/copycat-video/copycat/models"
)

// Of returns the HTTP status for an application error code; unknown codes
// (and EInternal) are 500.
func Of(code string) int {
	switch code {
	case models.EInvalid:
		return http.StatusBadRequest
	case models.EUnauthorized:
		return http.StatusUnauthorized
	case models.EForbidden:
		return http.StatusForbidden
	case models.ENotFound:
		return http.StatusNotFound
	case models.EConflict:
		return http.StatusConflict
	case models.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case models.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
