package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/web/httpstatus"
)

// view is what every page template gets: the layout's fields plus the
// page's own Data.
type view struct {
	Title string
	// Me is the signed-in principal, nil on the sign-in and error pages of
	// anonymous visitors.
	Me *models.Principal
	// CSRF is the session's form token, put into every form.
	CSRF   string
	Nav    string // which navigation entry is current
	Error  string
	Notice string
	Data   any
}

// pages holds one parsed template set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

var pageNames = []string{"signin", "queue", "claim", "complaints", "complaint_new", "complaint", "error"}

func mustParsePages() *pages {
	p, err := parsePages()
	if err != nil {
		panic(err)
	}
	return p
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: parse template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, ok := h.pages.byName[name]
	if !ok {
		h.log.Error("ui: unknown page template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		h.log.Error("ui: render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// newView starts a page view for a signed-in visit.
func newView(v *visit, title, nav string) *view {
	out := &view{Title: title, Nav: nav}
	if v != nil {
		p := v.p
		out.Me = &p
		out.CSRF = v.s.csrf
	}
	return out
}

// statusOf maps an application error code to an HTTP status, the same way
// the JSON API does.
func statusOf(code string) int { return httpstatus.Of(code) }

type errorData struct {
	Status  int
	Heading string
	Message string
	SignIn  bool
}

// fail renders an error page. Internal errors are logged here, once, and
// shown as a generic message; application errors show their message.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	code := models.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		h.log.Error("ui: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	heading := http.StatusText(status)
	if status == http.StatusNotFound {
		heading = "Not found"
	}
	pv := newView(v, heading, "")
	pv.Data = errorData{Status: status, Heading: heading, Message: models.ErrorMessage(err), SignIn: status == http.StatusUnauthorized}
	h.render(w, r, status, "error", pv)
}

// funcs are the template helpers. They format; they decide nothing.
var funcs = template.FuncMap{
	"pct": func(f float64) string {
		if !finite(f) {
			return "–"
		}
		return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%"
	},
	"score": func(f float64) string {
		if !finite(f) {
			return "–"
		}
		return strconv.FormatFloat(f, 'f', 2, 64)
	},
	"secs": func(f float64) string {
		if !finite(f) {
			return "–"
		}
		return strconv.FormatFloat(math.Round(f*10)/10, 'f', 1, 64) + " s"
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"isodate": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"label": func(s any) string {
		return strings.ReplaceAll(fmt.Sprint(s), "_", " ")
	},
	"frameURL": func(claimID, kind string, t float64) string {
		return "/claims/" + url.PathEscape(claimID) + "/frames/" + kind + "?t=" + strconv.FormatFloat(math.Round(t*100)/100, 'f', 2, 64)
	},
	"claimURL": func(id string) string { return "/claims/" + url.PathEscape(id) },
	"timeline": TimelineSVG,
	"deadlineLabel": func(s models.ClaimState) string {
		switch s {
		case models.StateOpen, models.StateInReview:
			return "review due"
		case models.StateUpheld:
			return "dispute window ends"
		case models.StateDisputed:
			return "claimant must answer by"
		case models.StateCounterNoticed:
			return "court action due by"
		}
		return "deadline"
	},
	"add": func(a, b int) int { return a + b },
}
