package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

func runTokens(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("tokens")
	data, db := env.storeFlags(fs)
	role := fs.String("role", "", "create: pipeline, reviewer, rights_holder or admin")
	org := fs.String("org", "", "create: the organisation of a rights_holder token")
	name := fs.String("name", "", "create: a label for the token (shown in the audit trail)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	usage := models.Errorf(models.EInvalid, "want: create --role R [--org O] [--name N] | list | revoke ID")
	if len(pos) == 0 {
		return usage
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		p := operator(env)
		switch {
		case pos[0] == "create" && len(pos) == 1:
			r, err := models.ParseRole(*role)
			if err != nil {
				return err
			}
			plain, t, err := svc.CreateToken(ctx, p, r, *org, *name)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, map[string]any{"token": plain, "info": t})
			}
			// The secret goes to stdout alone so that scripts can capture it;
			// the description goes to stderr.
			fmt.Fprintln(env.Stdout, plain)
			fmt.Fprintf(env.Stderr, "token %s (%s %s) created; the secret above is shown only once\n", t.ID, t.Role, t.Org)
			return nil
		case pos[0] == "list" && len(pos) == 1:
			ts, err := svc.Tokens(ctx, p)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, ts)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tORG\tNAME\tCREATED\tREVOKED")
			for _, t := range ts {
				rev := "-"
				if !t.Revoked.IsZero() {
					rev = t.Revoked.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Org, t.Name, t.Created.Format(time.RFC3339), rev)
			}
			return tw.Flush()
		case pos[0] == "revoke" && len(pos) == 2:
			if err := svc.RevokeToken(ctx, p, pos[1]); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "token %s revoked\n", pos[1])
			return nil
		}
		return usage
	})
}
