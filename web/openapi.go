package web

import (
	_ "embed"
	"net/http"

	"github.com/copycat-video/copycat/models"
)

// openapiDoc is the API description served at /openapi.json. It is kept by
// hand in the repository; TestOpenAPIMatchesRoutes fails when it and the
// route table (paths, methods, roles) disagree.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ models.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiDoc)
	return nil
}
