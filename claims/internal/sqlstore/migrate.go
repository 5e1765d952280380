// Package sqlstore is the claims.Store implementation shared by the SQLite
// and PostgreSQL backends over database/sql. The backends differ only in
// how they open the database, their migrations (DDL dialects), placeholder
// syntax and how constraint errors look; those come in a Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	// Name appears in error messages ("sqlite", "postgres").
	Name string
	// Dollar placeholders ($1, $2 …) instead of "?".
	Dollar bool
	// Migrations holds NNNN_name.sql files applied in number order.
	Migrations fs.FS
	// MigrationLock, when set, runs first in the migration transaction so
	// that two processes starting at once do not both migrate.
	MigrationLock string
	// Classify maps a driver error to a models error code ("" when it is
	// not a constraint or concurrency error).
	Classify func(error) string
}

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, n := range names {
		base := path.Base(n)
		num, rest, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, base, v)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(rest, ".sql"), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every migration newer than the recorded schema version,
// each in its own transaction together with its schema_migrations row, and
// returns the resulting version. A database newer than this binary is an
// error rather than something to guess about.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) (int, error) {
	ms, err := loadMigrations(d.Migrations)
	if err != nil {
		return 0, fmt.Errorf("%s migrations: %w", d.Name, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("%s: create schema_migrations: %w", d.Name, err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	current := 0
	for _, m := range ms {
		if _, err := applyOne(ctx, db, d, m); err != nil {
			return current, err
		}
		current = m.version
	}
	var maxV sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&maxV); err != nil {
		return current, fmt.Errorf("%s: read schema version: %w", d.Name, err)
	}
	if int(maxV.Int64) > latest {
		return int(maxV.Int64), fmt.Errorf("%s: database schema version %d is newer than this binary's %d", d.Name, maxV.Int64, latest)
	}
	return current, nil
}

// applyOne applies m unless it is recorded already; it reports whether it ran.
func applyOne(ctx context.Context, db *sql.DB, d Dialect, m migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s migration %d: begin: %w", d.Name, m.version, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return false, fmt.Errorf("%s migration %d: lock: %w", d.Name, m.version, err)
		}
	}
	var n int
	q := `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`
	if d.Dollar {
		q = rebind(q)
	}
	if err := tx.QueryRowContext(ctx, q, m.version).Scan(&n); err != nil {
		return false, fmt.Errorf("%s migration %d: %w", d.Name, m.version, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("%s migration %d (%s): %w", d.Name, m.version, m.name, err)
	}
	q = `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`
	if d.Dollar {
		q = rebind(q)
	}
	if _, err := tx.ExecContext(ctx, q, m.version, m.name, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("%s migration %d: record: %w", d.Name, m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s migration %d: commit: %w", d.Name, m.version, err)
	}
	return true, nil
}

// rebind turns "?" placeholders into "$1", "$2" …. Queries in this package
// never contain a literal question mark.
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
