// Command milvusping is the readiness check of scripts/milvus.sh: it waits
// until a Milvus server answers real SDK calls (server version and the
// collection list) or a deadline passes.
//
//	go run ./index/milvus/cmd/milvusping -addr 127.0.0.1:19530 -timeout 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/copycat-video/copycat/index/milvus"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19530", "Milvus address, host:port")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var last error
	for {
		v, err := milvus.Ping(ctx, *addr, 5*time.Second)
		if err == nil {
			fmt.Printf("milvus %s at %s answers\n", v, *addr)
			return
		}
		last = err
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "milvusping: %s not ready after %s: %v\n", *addr, *timeout, last)
			os.Exit(1)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
