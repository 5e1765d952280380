// Package postgres is the production claims store: PostgreSQL through pgx
// (github.com/jackc/pgx/v5, via its database/sql adapter so that the SQL is
// shared with the SQLite store in claims/internal/sqlstore).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/internal/sqlstore"
	"github.com/copycat-video/copycat/models"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is an arbitrary advisory-lock key ("copycat" in ASCII) held
// for the duration of each migration transaction, so that several servers
// starting at once migrate one at a time.
const migrationLock = `SELECT pg_advisory_xact_lock(7165048396485876)`

// Store is the PostgreSQL claims store.
type Store struct {
	*sqlstore.Store
}

var _ claims.Store = (*Store)(nil)

// Options tune Open.
type Options struct {
	// Schema, when set, is created if missing and used as the search_path:
	// tests give each run its own schema so that runs do not interfere.
	Schema string
	// MaxConns bounds the connection pool (default 10).
	MaxConns int
}

// Open connects to the postgres:// URL, applies the embedded migrations and
// returns the store.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, models.WrapError(models.EInvalid, err, "claims store: bad PostgreSQL URL")
	}
	if opt.Schema != "" {
		if err := createSchema(ctx, cfg, opt.Schema); err != nil {
			return nil, err
		}
		cfg.RuntimeParams["search_path"] = opt.Schema
	}
	db := stdlib.OpenDB(*cfg)
	if opt.MaxConns <= 0 {
		opt.MaxConns = 10
	}
	db.SetMaxOpenConns(opt.MaxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, models.WrapError(models.EUnavailable, err, "claims store: connect to PostgreSQL at %s:%d", cfg.Host, cfg.Port)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("claims store: %w", err)
	}
	st, err := sqlstore.New(ctx, db, sqlstore.Dialect{
		Name: "postgres", Dollar: true, Migrations: sub, MigrationLock: migrationLock, Classify: classify,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{st}, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return models.WrapError(models.EUnavailable, err, "claims store: connect to PostgreSQL at %s:%d", cfg.Host, cfg.Port)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return models.WrapError(models.EUnavailable, err, "claims store: create schema %s", schema)
	}
	return nil
}

// DropSchema removes a schema and everything in it (test clean-up).
func DropSchema(ctx context.Context, url, schema string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// classify maps SQLSTATE codes to models error codes.
func classify(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
			return models.EUnavailable
		}
		return ""
	}
	switch pe.Code {
	case "23505", "23P01": // unique_violation, exclusion_violation
		return models.EConflict
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return models.EConflict
	case "57P01", "57P03", "53300": // admin_shutdown, cannot_connect_now, too_many_connections
		return models.EUnavailable
	}
	return ""
}
