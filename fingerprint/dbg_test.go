package fingerprint

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func TestDbgInset(t *testing.T) {
	for _, f := range strings.Fields(os.Getenv("DEBUG_FILES")) {
		vc, _ := open(f)
		s := newSampler(vc, vc.Get(gocv.VideoCaptureFPS), 2)
		n := newNormalizer("phash", true)
		var k insetTracker
		for {
			m, tt, ok := s.next()
			if !ok {
				break
			}
			n.frame(m, tt)
			k.add(n.plane(), tt)
		}
		r, ok := k.detect()
		fmt.Println(f, k.w, k.h, r, ok)
	}
}
