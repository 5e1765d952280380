package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/models"
)

// videoExts are the file name extensions a directory argument expands to.
// Files named explicitly are tried whatever their name.
var videoExts = map[string]bool{
	".mp4": true, ".m4v": true, ".mov": true, ".mkv": true, ".webm": true, ".avi": true,
	".mpg": true, ".mpeg": true, ".m2v": true, ".ts": true, ".mts": true, ".m2ts": true,
	".ogv": true, ".ogg": true, ".flv": true, ".wmv": true, ".3gp": true, ".y4m": true,
	".gif": true,
}

// isVideoName reports whether a file found in a directory looks like a video.
func isVideoName(name string) bool { return videoExts[strings.ToLower(filepath.Ext(name))] }

// expandVideos turns arguments into the files to process: a directory
// becomes the video files below it (recursively, sorted), anything else is
// kept as given so that a missing or bad file gets its own error line.
func expandVideos(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != a && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // caches such as .cache hold partial downloads
			}
			if d.Type().IsRegular() && isVideoName(d.Name()) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, models.WrapError(models.EInvalid, err, "%s: cannot list directory", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// runFingerprint implements `copycat fingerprint`: one JSON fingerprint per
// line on stdout; a bad file gets one error line on stderr and the others
// are still processed.
func runFingerprint(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("fingerprint")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: copycat fingerprint [--rate R] [--kind K] [--mirror] VIDEO|DIR...\n\n"+
			"Prints one JSON fingerprint per video (JSON lines). A directory stands for\n"+
			"the video files below it.\n\nflags:")
		fs.PrintDefaults()
	}
	rate := fs.Float64("rate", fingerprint.DefaultRate, "sampled frames per second")
	kind := fs.String("kind", string(models.KindPHash), "hash kind: phash, ahash or dhash")
	mirror := fs.Bool("mirror", false, "also hash the mirrored frames (for queries)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	k, err := models.ParseHashKind(*kind)
	if err != nil {
		return err
	}
	opts := fingerprint.Options{Rate: *rate, Kind: k, Mirror: *mirror}
	if *rate <= 0 {
		return models.Errorf(models.EInvalid, "--rate must be positive")
	}
	files, err := expandVideos(fs.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return models.Errorf(models.EInvalid, "no video files in %s", strings.Join(fs.Args(), " "))
	}
	var bar *progress
	if len(files) > 1 {
		bar = newProgress(env, len(files), "files")
	}
	enc := json.NewEncoder(env.Stdout)
	failed := 0
	for _, f := range files {
		fp, err := fingerprint.File(ctx, f, opts)
		if err != nil && len(files) == 1 {
			return err // exit prints it as the one line naming file and reason
		}
		if err != nil {
			if ctx.Err() != nil {
				bar.Finish()
				return ctx.Err()
			}
			failed++
			bar.Printf(env.Stderr, "copycat fingerprint: %s\n", oneLine(errText(err, f)))
			bar.Add(1)
			continue
		}
		if err := enc.Encode(fp); err != nil {
			bar.Finish()
			return fmt.Errorf("write fingerprint of %s: %w", f, err)
		}
		bar.Add(1)
	}
	bar.Finish()
	if failed > 0 {
		return models.Errorf(models.EInvalid, "%d of %d files failed", failed, len(files))
	}
	return nil
}

// errText is the one-line reason for err, starting with the file name
// (fingerprint's messages already do).
func errText(err error, file string) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, file+":") {
		msg = file + ": " + msg
	}
	return msg
}

// quietDecoder silences FFmpeg's own messages (OpenCV lets it print every
// concealed error of a damaged stream on stderr, which drowns copycat's one
// line per bad file) unless OPENCV_FFMPEG_LOGLEVEL is set. OpenCV reads the
// variable when it opens its first video, so commands that decode call this
// first.
func quietDecoder(env *Env) {
	if env.Getenv("OPENCV_FFMPEG_LOGLEVEL") == "" {
		_ = os.Setenv("OPENCV_FFMPEG_LOGLEVEL", "-8") // AV_LOG_QUIET
	}
}
