package ui

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// The browser tests drive Debian's Chromium in headless mode through the
// pages served on a real loopback listener, over the real SQLite claims
// service and real frames cut from generated videos. They save screenshots
// of the key pages under $COPYCAT_ARTIFACTS/screenshots (default
// artifacts/screenshots at the repository root).

// browserExe returns the Chromium binary or skips the test.
func browserExe(t *testing.T) string {
	t.Helper()
	exe := os.Getenv("COPYCAT_TEST_BROWSER")
	if exe == "" {
		t.Skip("set COPYCAT_TEST_BROWSER=/usr/bin/chromium (scripts/browser.sh installs it) to run the page tests in a real headless browser")
	}
	return exe
}

// newBrowser starts a fresh headless Chromium with its own profile, so that
// every scenario starts signed out. The flags keep it off the network: a
// headless Chromium otherwise phones home for updates, sync and QUIC probes.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		_ = chromedp.Cancel(bctx) // closes the browser gracefully
		cancelBrowser()
		cancelAlloc() // waits for the process, before TempDir's cleanup
	})
	return ctx
}

// serve runs h on a loopback listener for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("COPYCAT_ARTIFACTS")
	if root == "" {
		root = filepath.Join("..", "..", "artifacts")
	}
	dir := filepath.Join(root, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// viewport is the emulated screen of a scenario; shoot needs it to grow
// the viewport to the page's height and back.
type viewport struct {
	w, h int64
	opts []chromedp.EmulateViewportOption
}

var (
	desktop = viewport{w: 1280, h: 900}
	phone   = viewport{w: 390, h: 844, opts: []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)}}
)

func (v viewport) set(h int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(v.w, h, v.opts...)
}

// shoot saves a full-page PNG screenshot. The viewport is stretched to the
// whole page first: headless Chromium leaves parts of a page below the
// viewport unpainted in "capture beyond viewport" screenshots.
func shoot(t *testing.T, ctx context.Context, v viewport, name string) {
	t.Helper()
	h := run(t, ctx, "page height", chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
	if h < v.h {
		h = v.h
	}
	do(t, ctx, "stretch the viewport", v.set(h), chromedp.Sleep(200*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	do(t, ctx, "restore the viewport", v.set(v.h))
	path := filepath.Join(screenshotDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signInAs signs in through the form, as a person would.
func signInAs(t *testing.T, ctx context.Context, base, token, landing string) {
	t.Helper()
	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)),
	)
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(loc, landing) {
		t.Fatalf("signed in at %s, want %s", loc, landing)
	}
}

// imagesLoaded waits until every <img> on the page has loaded a picture and
// returns how many there are.
func imagesLoaded(t *testing.T, ctx context.Context) int {
	t.Helper()
	return run(t, ctx, "evidence frames load", chromedp.Poll[int](
		`(() => { const im = Array.from(document.images); return im.length > 0 && im.every(i => i.complete && i.naturalWidth > 0) ? im.length : 0; })()`,
		chromedp.WithPollingTimeout(60*time.Second)))
}

// checkAccessible fails the test for the accessibility mistakes a script can
// see: form controls without a label, images without alt text, a page
// without a main landmark or heading, buttons without a name.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	problems := run(t, ctx, "accessibility check of "+page, chromedp.Evaluate[[]string](`(() => {
		const p = [];
		document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(e => {
			if (!e.labels || e.labels.length === 0) p.push('unlabelled ' + e.tagName.toLowerCase() + '#' + e.id); });
		document.querySelectorAll('img').forEach(i => { if (!i.alt) p.push('image without alt text: ' + i.src); });
		if (document.querySelectorAll('main').length !== 1) p.push('not exactly one main landmark');
		if (!document.querySelector('h1')) p.push('no h1');
		if (!document.documentElement.lang) p.push('no page language');
		document.querySelectorAll('button, a').forEach(b => { if (!b.textContent.trim() && !b.getAttribute('aria-label')) p.push('control without a name: ' + b.outerHTML); });
		return p; })()`))
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}

func TestBrowserReviewerUpholdsTopClaim(t *testing.T) {
	exe := browserExe(t)
	f := newFixture(t, fixtureOpts{videos: true})
	base := serve(t, f.handler)
	ctx := newBrowser(t, exe)
	do(t, ctx, "desktop viewport", desktop.set(desktop.h))

	do(t, ctx, "open the sign-in page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	checkAccessible(t, ctx, "sign-in")
	shoot(t, ctx, desktop, "01-signin")
	signInAs(t, ctx, base, f.reviewer, "/queue")
	do(t, ctx, "queue", chromedp.WaitVisible(chromedp.CSS("table.claims")))
	checkAccessible(t, ctx, "queue")
	shoot(t, ctx, desktop, "02-reviewer-queue")

	top := run(t, ctx, "top claim", chromedp.Text(chromedp.CSS(`table.claims tbody tr td[data-label="Claim"] a`)))
	if top != f.top {
		t.Fatalf("top of the queue is %q, want %s (earliest deadline, highest score)", top, f.top)
	}
	do(t, ctx, "open the top claim",
		chromedp.Click(chromedp.CSS(`table.claims tbody tr td[data-label="Claim"] a`)),
		chromedp.WaitVisible(chromedp.CSS("svg.timeline")),
	)
	if n := imagesLoaded(t, ctx); n != 6 {
		t.Errorf("%d evidence frames on the page, want 6 (3 pairs of the one segment)", n)
	}
	// The frames really are the aligned ones: the reference frame at t+2 s
	// is the upload's frame at t, so each upload frame is closer to its own
	// pair's reference frame than to any other pair's.
	aligned := run(t, ctx, "compare frame pairs", chromedp.Evaluate[string](`(() => {
		const px = (img) => { const c = document.createElement('canvas'); c.width = 64; c.height = 36;
			const g = c.getContext('2d'); g.drawImage(img, 0, 0, 64, 36); return g.getImageData(0, 0, 64, 36).data; };
		const diff = (x, y) => { let d = 0; for (let i = 0; i < x.length; i++) d += Math.abs(x[i] - y[i]); return d / x.length; };
		const pairs = Array.from(document.querySelectorAll('.segment .pair')).map(p => Array.from(p.querySelectorAll('img')).map(px));
		for (let i = 0; i < pairs.length; i++) for (let j = 0; j < pairs.length; j++) {
			if (i !== j && diff(pairs[i][0], pairs[i][1]) >= diff(pairs[i][0], pairs[j][1])) return 'pair ' + (i+1) + ' is no closer than pair ' + (j+1);
		}
		return pairs.length > 1 ? 'ok' : 'too few pairs';
	})()`))
	if aligned != "ok" {
		t.Errorf("evidence frames are not at aligned times: %s", aligned)
	}
	dots := run(t, ctx, "timeline dots", chromedp.Evaluate[int](`document.querySelectorAll('svg.timeline .tl-pair').length`))
	segs := run(t, ctx, "timeline segments", chromedp.Evaluate[int](`document.querySelectorAll('svg.timeline .tl-segment').length`))
	if dots != 12 || segs != 1 {
		t.Errorf("timeline draws %d frame pairs and %d segments, want 12 and 1", dots, segs)
	}
	prov := run(t, ctx, "provenance", chromedp.Text(chromedp.ID("provenance")))
	if !strings.Contains(prov, "reference was published first") {
		t.Errorf("provenance: %q", prov)
	}
	checkAccessible(t, ctx, "claim")
	shoot(t, ctx, desktop, "03-reviewer-claim")

	// Decide with the keyboard only: type the reason, Tab to the first
	// button (Uphold) and press Enter.
	const reason = "Frame-for-frame copy of the TikTok original"
	do(t, ctx, "uphold with the keyboard",
		chromedp.Focus(chromedp.ID("reason")),
		chromedp.SendKeys(chromedp.ID("reason"), reason),
		chromedp.KeyEvent("\t"),
	)
	focused := run(t, ctx, "focused element", chromedp.Evaluate[string](`document.activeElement.value || document.activeElement.id`))
	if focused != "uphold" {
		t.Fatalf("Tab from the reason focused %q, want the uphold button", focused)
	}
	do(t, ctx, "submit", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	audit := run(t, ctx, "audit trail", chromedp.Text(chromedp.ID("audit")))
	for _, want := range []string{"uphold", "open → upheld", "by rita-reviewer", reason} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, audit)
		}
	}
	shoot(t, ctx, desktop, "04-reviewer-claim-upheld")
	assertClaim(t, f, f.top, models.StateUpheld, 2)
}

func TestBrowserRightsHolderFilesComplaint(t *testing.T) {
	exe := browserExe(t)
	f := newFixture(t, fixtureOpts{videos: true})
	base := serve(t, f.handler)
	// The top claim was upheld and the uploader disputed it: the rights
	// holder has to answer.
	bg := context.Background()
	if _, err := f.svc.Decide(bg, models.Principal{Role: models.RoleReviewer, Name: "rita-reviewer"}, f.top, claims.DecideUphold, "clear copy", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Dispute(bg, pipe, f.top, models.ReasonOriginal, "I filmed this myself", 2); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, exe)
	do(t, ctx, "desktop viewport", desktop.set(desktop.h))

	signInAs(t, ctx, base, f.tiktok, "/complaints")
	if w := run(t, ctx, "waiting notice", chromedp.Text(chromedp.ID("waiting"))); !strings.Contains(w, "1 disputed claim(s)") {
		t.Errorf("overview notice: %q", w)
	}
	checkAccessible(t, ctx, "rights-holder overview")
	shoot(t, ctx, desktop, "05-rights-holder-overview")

	// Answer the dispute from the claim page: stand by the claim.
	do(t, ctx, "open the disputed claim",
		chromedp.Click(chromedp.CSS(`table.claims tbody tr td[data-label="Claim"] a`)),
		chromedp.WaitVisible(chromedp.ID("dispute-h")),
	)
	imagesLoaded(t, ctx)
	checkAccessible(t, ctx, "disputed claim")
	shoot(t, ctx, desktop, "05b-rights-holder-dispute")
	do(t, ctx, "stand by the claim",
		chromedp.SendKeys(chromedp.ID("reason"), "We published it on 1 November; the uploader's copy starts 2 s in"),
		chromedp.Click(chromedp.CSS(`button[value="uphold"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if audit := run(t, ctx, "audit", chromedp.Text(chromedp.ID("audit"))); !strings.Contains(audit, "disputed → upheld final") || !strings.Contains(audit, "by tina-tiktok") {
		t.Errorf("audit trail after answering the dispute:\n%s", audit)
	}
	assertClaim(t, f, f.top, models.StateUpheldFinal, 4)

	do(t, ctx, "back to the overview", chromedp.Navigate(base+"/complaints"), chromedp.WaitVisible(chromedp.CSS("main a.button.primary")))
	do(t, ctx, "open the complaint form",
		chromedp.Click(chromedp.CSS(`main a.button.primary`)),
		chromedp.WaitVisible(chromedp.ID("uploads")),
		chromedp.SendKeys(chromedp.ID("reference_id"), "tiktok:7281"),
		chromedp.SendKeys(chromedp.ID("title"), "Dance challenge"),
		chromedp.SendKeys(chromedp.ID("platform"), "tiktok"),
		chromedp.SendKeys(chromedp.ID("url"), "https://www.tiktok.com/@dancer/video/7281"),
		chromedp.SetValue(chromedp.ID("published"), "2026-11-01"),
		chromedp.SendKeys(chromedp.ID("uploads"), "up-1003\nup-3001"),
	)
	checkAccessible(t, ctx, "complaint form")
	shoot(t, ctx, desktop, "06-complaint-form")
	do(t, ctx, "file it",
		chromedp.Click(chromedp.CSS(`form[action="/complaints"] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	page := run(t, ctx, "complaint page", chromedp.Text(chromedp.ID("main")))
	for _, want := range []string{"2 claim(s) opened or updated", "up-3001", "up-1003", "Dance challenge"} {
		if !strings.Contains(page, want) {
			t.Errorf("complaint page lacks %q", want)
		}
	}
	shoot(t, ctx, desktop, "07-complaint-filed")

	// A second complaint with a file original, through the file picker.
	do(t, ctx, "file a complaint with a video file",
		chromedp.Navigate(base+"/complaints/new"),
		chromedp.WaitVisible(chromedp.ID("uploads")),
		chromedp.Click(chromedp.ID("src-file")),
		chromedp.SetUploadFiles(chromedp.ID("original"), []string{f.videos["reference/tiktok:7281"]}),
		chromedp.SendKeys(chromedp.ID("uploads"), "up-1001"),
		chromedp.Click(chromedp.CSS(`form[action="/complaints"] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if page := run(t, ctx, "file complaint page", chromedp.Text(chromedp.ID("main"))); !strings.Contains(page, "uploaded file (tiktok-7281.mp4, 8.0 s)") {
		t.Errorf("file complaint page:\n%s", page)
	}

	// Another organisation's claim: the same 404 as an unknown id, and no
	// frames either.
	do(t, ctx, "open the Kwai claim", chromedp.Navigate(base+"/claims/"+f.kwaiClaim), chromedp.WaitVisible(chromedp.ID("err-h")))
	if h := run(t, ctx, "heading", chromedp.Text(chromedp.ID("err-h"))); h != "Not found" {
		t.Errorf("other org's claim shows %q, want Not found", h)
	}
	body := run(t, ctx, "page text", chromedp.Text(chromedp.CSS("body")))
	for _, leak := range []string{"kwai:991", "up-1002", "kwai-star"} {
		if strings.Contains(body, leak) {
			t.Errorf("the 404 page leaks %q", leak)
		}
	}
	// The page's CSP allows no fetch(), so ask for the frame as an image,
	// the way a crafted page would; the status itself is checked by the
	// httptest suite.
	img := run(t, ctx, "load a frame of the other org's claim", chromedp.Evaluate[string](
		`new Promise(res => { const i = new Image(); i.onload = () => res('loaded'); i.onerror = () => res('refused'); i.src = '/claims/`+f.kwaiClaim+`/frames/upload?t=1'; })`,
		chromedp.EvalAwaitPromise))
	if img != "refused" {
		t.Errorf("a frame of another org's claim %s", img)
	}
	shoot(t, ctx, desktop, "08-rights-holder-other-org-404")
}

func TestBrowserPhoneWidth(t *testing.T) {
	exe := browserExe(t)
	f := newFixture(t, fixtureOpts{videos: true})
	base := serve(t, f.handler)
	ctx := newBrowser(t, exe)
	do(t, ctx, "phone viewport", phone.set(phone.h))

	signInAs(t, ctx, base, f.reviewer, "/queue")
	noOverflow := `document.documentElement.scrollWidth <= window.innerWidth`
	if !run(t, ctx, "queue fits", chromedp.Evaluate[bool](noOverflow)) {
		t.Error("the queue scrolls sideways at phone width")
	}
	shoot(t, ctx, phone, "09-phone-queue")

	do(t, ctx, "open the Kwai claim", chromedp.Navigate(base+"/claims/"+f.kwaiClaim), chromedp.WaitVisible(chromedp.CSS("svg.timeline")))
	imagesLoaded(t, ctx)
	checkAccessible(t, ctx, "claim at phone width")
	if !run(t, ctx, "claim fits", chromedp.Evaluate[bool](noOverflow)) {
		t.Error("the claim page scrolls sideways at phone width")
	}
	// Side by side on a desk, stacked on a phone.
	stacked := run(t, ctx, "stacked sides", chromedp.Evaluate[bool](`(() => {
		const a = document.getElementById('upload-h').closest('article').getBoundingClientRect();
		const b = document.getElementById('reference-h').closest('article').getBoundingClientRect();
		return Math.abs(a.left - b.left) < 1 && b.top >= a.bottom; })()`))
	if !stacked {
		t.Error("upload and reference are not stacked at phone width")
	}
	shoot(t, ctx, phone, "10-phone-claim")
}
