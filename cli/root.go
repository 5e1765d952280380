// Package cli is the copycat command line: the only place that reads flags
// and the environment and wires backends together.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// Env is what a command may touch of the outside world. Tests build one
// with buffers and a fake environment.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads configuration fallbacks (COPYCAT_*).
	Getenv func(string) string
	Log    *slog.Logger
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the table of subcommands. Each lives in a file of its own.
func commands() map[string]command {
	return map[string]command{
		"version":     {"print the version", runVersion},
		"claims":      {"list, show, decide and dispute claims; file complaints; policies", runClaims},
		"tokens":      {"create, list and revoke API tokens", runTokens},
		"fingerprint": {"print the perceptual fingerprint of video files (JSON lines)", runFingerprint},
		"eval":        {"score copycat on a labelled corpus (µAP, recall per family)", runEval},
		"refs":        {"manage the reference catalogue: add, import, list, rm", runRefs},
		"check":       {"check videos against the index: clean, duplicate or lifted", runCheck},
		"consume":     {"run the Kafka upload hook: uploads in, verdicts out", runConsume},
		"serve":       {"run the HTTP API, reviewer pages and (with --kafka-brokers) the Kafka hook", runServe},
	}
}

// Version is set by the linker (-ldflags "-X .../cli.Version=...").
var Version = "dev"

// Main runs copycat with args (without the program name) and returns the
// process exit status: 0 success, 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	return env.main(ctx, args)
}

func (env *Env) main(ctx context.Context, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		env.usage(cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "copycat: unknown command %q (see copycat help)\n", args[0])
		return 2
	}
	// Every command may decode video; FFmpeg's own chatter on stderr would
	// break the one-line error contract, so it is silenced once here.
	quietDecoder(env)
	err := c.run(ctx, env, args[1:])
	return env.exit(args[0], err)
}

// errUsage marks a usage error already reported by the flag package.
var errUsage = errors.New("usage")

func (env *Env) exit(name string, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	if models.ErrorCode(err) == models.EInternal {
		fmt.Fprintf(env.Stderr, "copycat %s: %v\n", name, err)
	} else {
		fmt.Fprintf(env.Stderr, "copycat %s: %s\n", name, oneLine(err.Error()))
	}
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (env *Env) usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(env.Stderr, "usage: copycat COMMAND [flags] [args]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(env.Stderr, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(env.Stderr, "\nRun copycat COMMAND -h for the flags of a command.")
}

// newFlags returns a FlagSet that reports errors to env.Stderr.
func (env *Env) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("copycat "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parse parses args, turning flag errors into errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// envOr returns the COPYCAT_* environment value for key, or def.
func (env *Env) envOr(key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// dataFlag registers --data with its COPYCAT_DATA fallback.
func (env *Env) dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", env.envOr("COPYCAT_DATA", "./copycat-data"), "data directory holding the embedded index and SQLite store (env COPYCAT_DATA)")
}

func runVersion(_ context.Context, env *Env, _ []string) error {
	fmt.Fprintln(env.Stdout, "copycat", Version)
	return nil
}
