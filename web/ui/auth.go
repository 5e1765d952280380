package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// visit is one authenticated request: who is asking and their session.
type visit struct {
	p models.Principal
	s session
}

// reviewer reports whether the principal works the review queue.
func (v *visit) reviewer() bool {
	return v.p.Role == models.RoleReviewer || v.p.Role == models.RoleAdmin
}

// rightsHolder reports whether the principal files complaints for an org.
func (v *visit) rightsHolder() bool { return v.p.Role == models.RoleRightsHolder }

// Body limits for forms without a file. The complaint form, the only one with
// a file, is limited by Deps.MaxUploadBytes.
const (
	maxFormBytes   = 64 << 10
	maxMemoryBytes = 8 << 20 // multipart parts beyond this go to temp files
)

// withSession authenticates a page request from its session cookie and, for
// POST, checks the CSRF token before the handler sees the form. A missing or
// dead session sends a GET to the sign-in page (coming back afterwards) and
// fails a POST, whose form data cannot survive the detour.
func (h *handler) withSession(fn func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, ok, err := h.session(w, r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.fail(w, r, nil, models.Errorf(models.EUnauthorized, "your session has ended; sign in again"))
			return
		}
		if r.Method == http.MethodPost {
			if err := h.parseForm(w, r); err != nil {
				h.fail(w, r, v, err)
				return
			}
			if !sameOrigin(r) || !tokensEqual(r.PostFormValue("csrf"), v.s.csrf) {
				h.log.Warn("ui: rejected a form without a valid CSRF token", "path", r.URL.Path, "actor", v.p.Name)
				h.fail(w, r, v, models.Errorf(models.EForbidden, "the form has expired or did not come from this site; reload the page and try again"))
				return
			}
		}
		fn(w, r, v)
	}
}

// session returns the visit of a live session whose token still
// authenticates; a session whose token was revoked is ended. err is set
// only when the token could not be checked at all (the store is down): the
// session is kept and the request fails, rather than signing people out.
func (h *handler) session(w http.ResponseWriter, r *http.Request) (*visit, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	s, ok := h.sessions.get(c.Value)
	if !ok {
		http.SetCookie(w, h.cookie(r, sessionCookie, "", -1))
		return nil, false, nil
	}
	p, err := h.deps.Auth.Authenticate(r.Context(), s.token)
	if err != nil {
		if models.ErrorCode(err) != models.EUnauthorized {
			return nil, false, models.WrapError(models.EUnavailable, err, "cannot check your session right now; try again shortly")
		}
		h.sessions.delete(s.id)
		http.SetCookie(w, h.cookie(r, sessionCookie, "", -1))
		return nil, false, nil
	}
	return &visit{p: p, s: s}, true, nil
}

// parseForm reads a POST body within its size limit.
func (h *handler) parseForm(w http.ResponseWriter, r *http.Request) error {
	multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
	limit := int64(maxFormBytes)
	if multipart {
		limit = h.deps.MaxUploadBytes + maxFormBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if multipart {
		err = r.ParseMultipartForm(maxMemoryBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return models.Errorf(models.ETooLarge, "the form is larger than %d bytes", tooLarge.Limit)
		}
		return models.WrapError(models.EInvalid, err, "the form could not be read")
	}
	return nil
}

// sameOrigin rejects cross-site form posts by their Origin header, a second
// line behind SameSite cookies and the CSRF token. Browsers that send no
// Origin are judged by the token alone.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// home sends each role to its start page.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	v, ok, err := h.session(w, r)
	switch {
	case err != nil:
		h.fail(w, r, nil, err)
	case !ok:
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	case v.rightsHolder():
		http.Redirect(w, r, "/complaints", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	}
}

type signinData struct {
	Next  string
	Token string // the pre-session anti-forgery token, not the API token
}

func (h *handler) signinForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if v, ok, _ := h.session(w, r); ok {
		http.Redirect(w, r, startPage(v), http.StatusSeeOther)
		return
	}
	h.renderSignin(w, r, http.StatusOK, safeNext(r.URL.Query().Get("next")), "")
}

func (h *handler) renderSignin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	pre := randomToken()
	http.SetCookie(w, h.cookie(r, preCookie, pre, 0))
	h.render(w, r, status, "signin", &view{Title: "Sign in", Error: msg, Data: signinData{Next: next, Token: pre}})
}

// signin exchanges an API token for a session.
func (h *handler) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := h.parseForm(w, r); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	pre, err := r.Cookie(preCookie)
	if err != nil || !sameOrigin(r) || !tokensEqual(pre.Value, r.PostFormValue("csrf")) {
		h.renderSignin(w, r, http.StatusForbidden, next, "The sign-in form expired or did not come from this site. Please try again.")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" || len(token) > 512 {
		h.renderSignin(w, r, http.StatusBadRequest, next, "Enter your API token.")
		return
	}
	p, err := h.deps.Auth.Authenticate(r.Context(), token)
	if err != nil {
		if models.ErrorCode(err) == models.EUnauthorized {
			h.log.Info("ui: sign-in with an unknown token", "remote", r.RemoteAddr)
			h.renderSignin(w, r, http.StatusUnauthorized, next, "That token is not valid (unknown or revoked).")
			return
		}
		h.fail(w, r, nil, err)
		return
	}
	if p.Role != models.RoleReviewer && p.Role != models.RoleAdmin && p.Role != models.RoleRightsHolder {
		h.renderSignin(w, r, http.StatusForbidden, next, "This token's role ("+string(p.Role)+") has no pages; use the API.")
		return
	}
	s := h.sessions.create(token)
	http.SetCookie(w, h.cookie(r, preCookie, "", -1))
	http.SetCookie(w, h.cookie(r, sessionCookie, s.id, h.sessions.ttl))
	h.log.Info("ui: signed in", "actor", p.Name, "role", p.Role, "org", p.Org)
	if next == "" {
		next = startPage(&visit{p: p})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handler) signout(w http.ResponseWriter, r *http.Request, v *visit) {
	h.sessions.delete(v.s.id)
	http.SetCookie(w, h.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func startPage(v *visit) string {
	if v.rightsHolder() {
		return "/complaints"
	}
	return "/queue"
}

// safeNext keeps a post-sign-in destination only if it is a path on this
// site: "//evil.example" and "/\evil.example" are protocol-relative URLs to
// browsers and would make the sign-in page an open redirect.
func safeNext(s string) string {
	if len(s) > 2048 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return ""
	}
	if strings.ContainsAny(s, "\x00\r\n\t\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "/signin" {
		return ""
	}
	return s
}
