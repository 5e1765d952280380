package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The __Host- prefix would pin the cookie to the host and
// path "/", but browsers accept it only with Secure, which plain-HTTP
// development servers cannot set; the attributes below give the same
// protection apart from that.
const (
	sessionCookie = "copycat_session"
	// preCookie carries the sign-in form's anti-forgery token before any
	// session exists (double-submit), so that another site cannot sign a
	// victim in with the attacker's token.
	preCookie = "copycat_signin"
)

// Session lifetimes.
const (
	defaultSessionTTL  = 8 * time.Hour
	defaultIdleTimeout = time.Hour
	// maxSessions bounds memory: a flood of sign-ins evicts the oldest
	// sessions rather than growing without limit.
	maxSessions = 10000
)

// session is one signed-in browser. The API token stays on the server: the
// cookie holds only a random id, and every request re-authenticates the
// token so that revoking it ends the session at once.
type session struct {
	id       string
	token    string
	csrf     string
	created  time.Time
	lastSeen time.Time
}

// sessions is the server-side session table. Sessions live in memory: a
// restart signs everyone out, which for a review console is a fair price for
// never writing tokens to disk.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	ttl  time.Duration
	idle time.Duration
	now  func() time.Time
}

func newSessions(ttl, idle time.Duration, now func() time.Time) *sessions {
	if ttl <= 0 {
		ttl = defaultSessionTTL
	}
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	return &sessions{m: map[string]*session{}, ttl: ttl, idle: idle, now: now}
}

// create starts a session for token with fresh random id and CSRF token.
// A new id on every sign-in rules out session fixation.
func (s *sessions) create(token string) session {
	now := s.now()
	ss := &session{id: randomToken(), token: token, csrf: randomToken(), created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Dead sessions are swept only when the table is full, so a sign-in
	// costs O(1) until then and O(n) at worst; the cap bounds memory.
	if len(s.m) >= maxSessions {
		s.purgeLocked(now)
	}
	for len(s.m) >= maxSessions {
		s.evictOldestLocked()
	}
	s.m[ss.id] = ss
	return *ss
}

// get returns the live session with id and refreshes its idle timer.
func (s *sessions) get(id string) (session, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	if s.expired(ss, now) {
		delete(s.m, id)
		return session{}, false
	}
	ss.lastSeen = now
	return *ss, true
}

// delete ends a session (sign-out, or a token that no longer authenticates).
func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.created) >= s.ttl || now.Sub(ss.lastSeen) >= s.idle
}

func (s *sessions) purgeLocked(now time.Time) {
	for id, ss := range s.m {
		if s.expired(ss, now) {
			delete(s.m, id)
		}
	}
}

func (s *sessions) evictOldestLocked() {
	var oldest *session
	for _, ss := range s.m {
		if oldest == nil || ss.lastSeen.Before(oldest.lastSeen) {
			oldest = ss
		}
	}
	if oldest != nil {
		delete(s.m, oldest.id)
	}
}

// randomToken returns 32 random bytes, URL-safe base64 encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokensEqual compares two secrets in constant time; empty never matches.
func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// cookie builds a cookie with the attributes every copycat cookie gets:
// HttpOnly (no script reads it), SameSite=Strict (never sent on cross-site
// requests, the first CSRF defence) and Secure when the request came over
// TLS or the server is configured to sit behind a TLS proxy.
func (h *handler) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil || h.deps.SecureCookies,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}
