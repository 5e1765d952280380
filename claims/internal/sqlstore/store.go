package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Store implements claims.Store over a database/sql handle.
type Store struct {
	db *sql.DB
	d  Dialect
}

var _ claims.Store = (*Store)(nil)

// New migrates db and returns a Store over it. The Store owns db: Close
// closes it.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if _, err := Migrate(ctx, db, d); err != nil {
		return nil, models.WrapError(models.EUnavailable, err, "%s: migrate claims store", d.Name)
	}
	return &Store{db: db, d: d}, nil
}

// DB returns the underlying handle (for backend-specific tests).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Update implements claims.Store.
func (s *Store) Update(ctx context.Context, fn func(claims.Tx) error) (err error) {
	sqltx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err, "begin")
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqltx.Rollback() // the original error matters more
		}
	}()
	if err := fn(&tx{q: sqltx, s: s, write: true}); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return s.wrap(err, "commit")
	}
	committed = true
	return nil
}

// View implements claims.Store.
func (s *Store) View(ctx context.Context, fn func(claims.Tx) error) error {
	return fn(&tx{q: s.db, s: s})
}

// wrap turns a driver error into a models error: constraint and
// serialisation failures become EConflict, a cancelled context stays
// recognisable, everything else is EInternal.
func (s *Store) wrap(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(what, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return models.WrapError(models.EUnavailable, err, "%s: %s", s.d.Name, msg)
	}
	if code := s.d.Classify(err); code != "" {
		return models.WrapError(code, err, "%s: %s", s.d.Name, msg)
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, msg, err)
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements claims.Tx.
type tx struct {
	q     querier
	s     *Store
	write bool
}

func (t *tx) sql(q string) string {
	if t.s.d.Dollar {
		return rebind(q)
	}
	return q
}

func (t *tx) exec(ctx context.Context, what, q string, args ...any) (sql.Result, error) {
	if !t.write {
		return nil, models.Errorf(models.EInternal, "%s: %s inside a read-only view", t.s.d.Name, what)
	}
	r, err := t.q.ExecContext(ctx, t.sql(q), args...)
	return r, t.s.wrap(err, "%s", what)
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// claimCols are the columns kept beside the JSON body for filtering and
// ordering; the body is the claim itself.
const claimCols = `id, upload_id, uploader, reference_id, platform, org, origin, state, escalated, score, deadline, created, version, body`

func claimArgs(c models.Claim) ([]any, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Upload.ID, c.Upload.Uploader, c.Reference.ID, c.Reference.Platform, c.Org, string(c.Origin),
		string(c.State), boolInt(c.Escalated), c.Match.Score, micros(c.Deadline), c.Created.UnixMicro(), c.Version, string(body)}, nil
}

func (t *tx) scanClaims(ctx context.Context, q string, args ...any) ([]models.Claim, error) {
	rows, err := t.q.QueryContext(ctx, t.sql(q), args...)
	if err != nil {
		return nil, t.s.wrap(err, "query claims")
	}
	defer rows.Close()
	var out []models.Claim
	for rows.Next() {
		var body string
		var version int64
		if err := rows.Scan(&version, &body); err != nil {
			return nil, t.s.wrap(err, "scan claim")
		}
		var c models.Claim
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("%s: decode claim: %w", t.s.d.Name, err)
		}
		c.Version = version
		out = append(out, c)
	}
	return out, t.s.wrap(rows.Err(), "read claims")
}

// Claim implements claims.Tx.
func (t *tx) Claim(ctx context.Context, id string) (models.Claim, error) {
	cs, err := t.scanClaims(ctx, `SELECT version, body FROM claims WHERE id = ?`, id)
	if err != nil {
		return models.Claim{}, err
	}
	if len(cs) == 0 {
		return models.Claim{}, models.Errorf(models.ENotFound, "claim %q not found", id)
	}
	return cs[0], nil
}

// Claims implements claims.Tx.
func (t *tx) Claims(ctx context.Context, f claims.Filter, p claims.Page) ([]models.Claim, int, error) {
	p = p.Normalize()
	var where []string
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	for _, c := range []struct{ col, v string }{
		{"platform", f.Platform}, {"origin", string(f.Origin)}, {"org", f.Org}, {"upload_id", f.UploadID}, {"uploader", f.Uploader},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := t.q.QueryRowContext(ctx, t.sql(`SELECT COUNT(*) FROM claims`+cond), args...).Scan(&total); err != nil {
		return nil, 0, t.s.wrap(err, "count claims")
	}
	order := ` ORDER BY created DESC, id DESC`
	if f.Sort == claims.SortDeadline {
		order = ` ORDER BY escalated DESC, CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline ASC, score DESC, id ASC`
	}
	cs, err := t.scanClaims(ctx, `SELECT version, body FROM claims`+cond+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	return cs, total, err
}

// ActiveClaim implements claims.Tx.
func (t *tx) ActiveClaim(ctx context.Context, uploadID, referenceID, org string) (models.Claim, bool, error) {
	cs, err := t.scanClaims(ctx, `SELECT version, body FROM claims
		WHERE upload_id = ? AND reference_id = ? AND org = ? AND state NOT IN ('rejected', 'reinstated')
		ORDER BY created DESC LIMIT 1`, uploadID, referenceID, org)
	if err != nil || len(cs) == 0 {
		return models.Claim{}, false, err
	}
	return cs[0], true, nil
}

// DueClaims implements claims.Tx.
func (t *tx) DueClaims(ctx context.Context, now time.Time, limit int) ([]models.Claim, error) {
	return t.scanClaims(ctx, `SELECT version, body FROM claims WHERE deadline IS NOT NULL AND deadline <= ?
		ORDER BY deadline ASC, id ASC LIMIT ?`, now.UnixMicro(), limit)
}

// InsertClaim implements claims.Tx.
func (t *tx) InsertClaim(ctx context.Context, c models.Claim) error {
	if c.Version != 1 {
		return models.Errorf(models.EInvalid, "new claim %s must have version 1, not %d", c.ID, c.Version)
	}
	args, err := claimArgs(c)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert claim "+c.ID, `INSERT INTO claims (`+claimCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if models.ErrorCode(err) == models.EConflict {
		return models.WrapError(models.EConflict, err, "claim %s: a claim with this id, or an active claim of %s on upload %s for %s, exists", c.ID, c.Org, c.Upload.ID, c.Reference.ID)
	}
	return err
}

// UpdateClaim implements claims.Tx.
func (t *tx) UpdateClaim(ctx context.Context, c models.Claim) error {
	args, err := claimArgs(c)
	if err != nil {
		return err
	}
	// args[0] is the id; set every other column, guarded by the version.
	res, err := t.exec(ctx, "update claim "+c.ID, `UPDATE claims SET upload_id = ?, uploader = ?, reference_id = ?, platform = ?,
		org = ?, origin = ?, state = ?, escalated = ?, score = ?, deadline = ?, created = ?, version = ?, body = ?
		WHERE id = ? AND version = ?`, append(args[1:], c.ID, c.Version-1)...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.s.wrap(err, "update claim %s", c.ID)
	}
	if n == 1 {
		return nil
	}
	var cur int64
	switch err := t.q.QueryRowContext(ctx, t.sql(`SELECT version FROM claims WHERE id = ?`), c.ID).Scan(&cur); {
	case errors.Is(err, sql.ErrNoRows):
		return models.Errorf(models.ENotFound, "claim %q not found", c.ID)
	case err != nil:
		return t.s.wrap(err, "update claim %s", c.ID)
	}
	return models.Errorf(models.EConflict, "claim %s was changed by someone else (version %d, expected %d); reload and try again", c.ID, cur, c.Version-1)
}

// AppendEvent implements claims.Tx.
func (t *tx) AppendEvent(ctx context.Context, e models.AuditEvent) (int64, error) {
	if !t.write {
		return 0, models.Errorf(models.EInternal, "append event inside a read-only view")
	}
	var seq int64
	err := t.q.QueryRowContext(ctx, t.sql(`INSERT INTO audit_events
		(at, actor, actor_role, subject, subject_id, kind, from_state, to_state, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
		e.At.UnixMicro(), e.Actor, string(e.ActorRole), e.Subject, e.SubjectID, string(e.Kind), string(e.From), string(e.To), e.Reason, e.Detail,
	).Scan(&seq)
	return seq, t.s.wrap(err, "append event")
}

// Events implements claims.Tx.
func (t *tx) Events(ctx context.Context, subject, subjectID string) ([]models.AuditEvent, error) {
	rows, err := t.q.QueryContext(ctx, t.sql(`SELECT seq, at, actor, actor_role, subject, subject_id, kind, from_state, to_state, reason, detail
		FROM audit_events WHERE subject = ? AND subject_id = ? ORDER BY seq`), subject, subjectID)
	if err != nil {
		return nil, t.s.wrap(err, "query events")
	}
	defer rows.Close()
	out := []models.AuditEvent{}
	for rows.Next() {
		var e models.AuditEvent
		var at int64
		var role, kind, from, to string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &role, &e.Subject, &e.SubjectID, &kind, &from, &to, &e.Reason, &e.Detail); err != nil {
			return nil, t.s.wrap(err, "scan event")
		}
		e.At = time.UnixMicro(at).UTC()
		e.ActorRole, e.Kind, e.From, e.To = models.Role(role), models.EventKind(kind), models.ClaimState(from), models.ClaimState(to)
		out = append(out, e)
	}
	return out, t.s.wrap(rows.Err(), "read events")
}

// InsertComplaint implements claims.Tx.
func (t *tx) InsertComplaint(ctx context.Context, c models.Complaint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert complaint "+c.ID, `INSERT INTO complaints (id, org, created, body) VALUES (?, ?, ?, ?)`,
		c.ID, c.Org, c.Created.UnixMicro(), string(body))
	return err
}

func (t *tx) scanComplaints(ctx context.Context, q string, args ...any) ([]models.Complaint, error) {
	rows, err := t.q.QueryContext(ctx, t.sql(q), args...)
	if err != nil {
		return nil, t.s.wrap(err, "query complaints")
	}
	defer rows.Close()
	var out []models.Complaint
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, t.s.wrap(err, "scan complaint")
		}
		var c models.Complaint
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("%s: decode complaint: %w", t.s.d.Name, err)
		}
		out = append(out, c)
	}
	return out, t.s.wrap(rows.Err(), "read complaints")
}

// Complaint implements claims.Tx.
func (t *tx) Complaint(ctx context.Context, id string) (models.Complaint, error) {
	cs, err := t.scanComplaints(ctx, `SELECT body FROM complaints WHERE id = ?`, id)
	if err != nil {
		return models.Complaint{}, err
	}
	if len(cs) == 0 {
		return models.Complaint{}, models.Errorf(models.ENotFound, "complaint %q not found", id)
	}
	return cs[0], nil
}

// Complaints implements claims.Tx.
func (t *tx) Complaints(ctx context.Context, org string, p claims.Page) ([]models.Complaint, int, error) {
	p = p.Normalize()
	cond, args := "", []any{}
	if org != "" {
		cond, args = " WHERE org = ?", append(args, org)
	}
	var total int
	if err := t.q.QueryRowContext(ctx, t.sql(`SELECT COUNT(*) FROM complaints`+cond), args...).Scan(&total); err != nil {
		return nil, 0, t.s.wrap(err, "count complaints")
	}
	cs, err := t.scanComplaints(ctx, `SELECT body FROM complaints`+cond+` ORDER BY created DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	return cs, total, err
}

// PutUploadResult implements claims.Tx.
func (t *tx) PutUploadResult(ctx context.Context, r models.UploadResult) (models.UploadResult, bool, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return models.UploadResult{}, false, err
	}
	res, err := t.exec(ctx, "put upload result "+r.Upload.ID, `INSERT INTO upload_results (upload_id, checked, body) VALUES (?, ?, ?)
		ON CONFLICT (upload_id) DO NOTHING`, r.Upload.ID, r.CheckedAt.UnixMicro(), string(body))
	if err != nil {
		return models.UploadResult{}, false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return models.UploadResult{}, false, t.s.wrap(err, "put upload result")
	} else if n == 1 {
		return r, true, nil
	}
	stored, err := t.UploadResult(ctx, r.Upload.ID)
	return stored, false, err
}

// UploadResult implements claims.Tx.
func (t *tx) UploadResult(ctx context.Context, uploadID string) (models.UploadResult, error) {
	var body string
	err := t.q.QueryRowContext(ctx, t.sql(`SELECT body FROM upload_results WHERE upload_id = ?`), uploadID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return models.UploadResult{}, models.Errorf(models.ENotFound, "no result for upload %q", uploadID)
	}
	if err != nil {
		return models.UploadResult{}, t.s.wrap(err, "read upload result")
	}
	var r models.UploadResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return models.UploadResult{}, fmt.Errorf("%s: decode upload result: %w", t.s.d.Name, err)
	}
	return r, nil
}

// AddStrike implements claims.Tx.
func (t *tx) AddStrike(ctx context.Context, s models.Strike) (int64, error) {
	if !t.write {
		return 0, models.Errorf(models.EInternal, "add strike inside a read-only view")
	}
	var id int64
	err := t.q.QueryRowContext(ctx, t.sql(`INSERT INTO strikes (uploader, claim_id, created, expires, voided)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), s.Uploader, s.ClaimID, s.Created.UnixMicro(), s.Expires.UnixMicro(), micros(s.Voided)).Scan(&id)
	return id, t.s.wrap(err, "add strike")
}

// VoidStrikes implements claims.Tx.
func (t *tx) VoidStrikes(ctx context.Context, claimID string, at time.Time) (int, error) {
	res, err := t.exec(ctx, "void strikes", `UPDATE strikes SET voided = ? WHERE claim_id = ? AND voided IS NULL`, at.UnixMicro(), claimID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), t.s.wrap(err, "void strikes")
}

// Strikes implements claims.Tx.
func (t *tx) Strikes(ctx context.Context, uploader string) ([]models.Strike, error) {
	rows, err := t.q.QueryContext(ctx, t.sql(`SELECT id, uploader, claim_id, created, expires, voided FROM strikes
		WHERE uploader = ? ORDER BY created DESC, id DESC`), uploader)
	if err != nil {
		return nil, t.s.wrap(err, "query strikes")
	}
	defer rows.Close()
	var out []models.Strike
	for rows.Next() {
		var s models.Strike
		var created, expires int64
		var voided sql.NullInt64
		if err := rows.Scan(&s.ID, &s.Uploader, &s.ClaimID, &created, &expires, &voided); err != nil {
			return nil, t.s.wrap(err, "scan strike")
		}
		s.Created, s.Expires, s.Voided = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC(), fromMicros(voided)
		out = append(out, s)
	}
	return out, t.s.wrap(rows.Err(), "read strikes")
}

// AddBlock implements claims.Tx.
func (t *tx) AddBlock(ctx context.Context, b models.BlockEntry) error {
	_, err := t.exec(ctx, "add block", `INSERT INTO blocks (video_id, claim_id, created) VALUES (?, ?, ?)
		ON CONFLICT (video_id, claim_id) DO NOTHING`, b.VideoID, b.ClaimID, b.Created.UnixMicro())
	return err
}

// RemoveBlocks implements claims.Tx.
func (t *tx) RemoveBlocks(ctx context.Context, claimID string) (int, error) {
	res, err := t.exec(ctx, "remove blocks", `DELETE FROM blocks WHERE claim_id = ?`, claimID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), t.s.wrap(err, "remove blocks")
}

// Blocked implements claims.Tx.
func (t *tx) Blocked(ctx context.Context, videoIDs []string) ([]models.BlockEntry, error) {
	var out []models.BlockEntry
	// Chunk so that no query exceeds the drivers' parameter limits.
	for len(videoIDs) > 0 {
		n := min(len(videoIDs), 500)
		chunk := videoIDs[:n]
		videoIDs = videoIDs[n:]
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := t.q.QueryContext(ctx, t.sql(`SELECT video_id, claim_id, created FROM blocks WHERE video_id IN (`+ph+`) ORDER BY video_id, created`), args...)
		if err != nil {
			return nil, t.s.wrap(err, "query blocks")
		}
		for rows.Next() {
			var b models.BlockEntry
			var created int64
			if err := rows.Scan(&b.VideoID, &b.ClaimID, &created); err != nil {
				rows.Close()
				return nil, t.s.wrap(err, "scan block")
			}
			b.Created = time.UnixMicro(created).UTC()
			out = append(out, b)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, t.s.wrap(err, "read blocks")
		}
	}
	return out, nil
}

// PutPolicy implements claims.Tx.
func (t *tx) PutPolicy(ctx context.Context, p models.Policy) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "put policy", `INSERT INTO policies (id, org, body) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET org = excluded.org, body = excluded.body`, p.ID, p.Org, string(body))
	return err
}

// DeletePolicy implements claims.Tx.
func (t *tx) DeletePolicy(ctx context.Context, id string) error {
	res, err := t.exec(ctx, "delete policy", `DELETE FROM policies WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.s.wrap(err, "delete policy")
	} else if n == 0 {
		return models.Errorf(models.ENotFound, "policy %q not found", id)
	}
	return nil
}

// Policies implements claims.Tx.
func (t *tx) Policies(ctx context.Context, org string) ([]models.Policy, error) {
	q, args := `SELECT body FROM policies ORDER BY id`, []any{}
	if org != "" {
		q, args = `SELECT body FROM policies WHERE org = ? ORDER BY id`, []any{org}
	}
	rows, err := t.q.QueryContext(ctx, t.sql(q), args...)
	if err != nil {
		return nil, t.s.wrap(err, "query policies")
	}
	defer rows.Close()
	out := []models.Policy{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, t.s.wrap(err, "scan policy")
		}
		var p models.Policy
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			return nil, fmt.Errorf("%s: decode policy: %w", t.s.d.Name, err)
		}
		out = append(out, p)
	}
	return out, t.s.wrap(rows.Err(), "read policies")
}

// InsertToken implements claims.Tx.
func (t *tx) InsertToken(ctx context.Context, k models.Token) error {
	_, err := t.exec(ctx, "insert token", `INSERT INTO tokens (id, hash, role, org, name, created, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Hash, string(k.Role), k.Org, k.Name, k.Created.UnixMicro(), micros(k.Revoked))
	return err
}

func (t *tx) scanTokens(ctx context.Context, q string, args ...any) ([]models.Token, error) {
	rows, err := t.q.QueryContext(ctx, t.sql(q), args...)
	if err != nil {
		return nil, t.s.wrap(err, "query tokens")
	}
	defer rows.Close()
	var out []models.Token
	for rows.Next() {
		var k models.Token
		var role string
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Hash, &role, &k.Org, &k.Name, &created, &revoked); err != nil {
			return nil, t.s.wrap(err, "scan token")
		}
		k.Role, k.Created, k.Revoked = models.Role(role), time.UnixMicro(created).UTC(), fromMicros(revoked)
		out = append(out, k)
	}
	return out, t.s.wrap(rows.Err(), "read tokens")
}

// TokenByHash implements claims.Tx.
func (t *tx) TokenByHash(ctx context.Context, hash string) (models.Token, error) {
	ks, err := t.scanTokens(ctx, `SELECT id, hash, role, org, name, created, revoked FROM tokens WHERE hash = ?`, hash)
	if err != nil {
		return models.Token{}, err
	}
	if len(ks) == 0 {
		return models.Token{}, models.Errorf(models.ENotFound, "token not found")
	}
	return ks[0], nil
}

// Tokens implements claims.Tx.
func (t *tx) Tokens(ctx context.Context) ([]models.Token, error) {
	return t.scanTokens(ctx, `SELECT id, hash, role, org, name, created, revoked FROM tokens ORDER BY created, id`)
}

// RevokeToken implements claims.Tx.
func (t *tx) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := t.exec(ctx, "revoke token", `UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?`, at.UnixMicro(), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.s.wrap(err, "revoke token")
	} else if n == 0 {
		return models.Errorf(models.ENotFound, "token %q not found", id)
	}
	return nil
}
