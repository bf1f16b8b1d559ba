// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// dialer: a Go client with a dial timeout, as net/http's Transport dials.
//
//	dialer ADDR:PORT N TIMEOUT_MS FILE
//
// Dials ADDR:PORT N times, one after another, each with a timeout of
// TIMEOUT_MS; writes "connected=X timeouts=Y other=Z" to FILE, then holds
// what it connected until killed.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: dialer ADDR:PORT N TIMEOUT_MS FILE")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[2])
	ms, _ := strconv.Atoi(os.Args[3])
	var held []net.Conn
	timeouts, other := 0, 0
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", os.Args[1], time.Duration(ms)*time.Millisecond)
		var ne net.Error
		switch {
		case err == nil:
			held = append(held, c)
		case errors.As(err, &ne) && ne.Timeout():
			timeouts++
		default:
			other++
		}
	}
	line := fmt.Sprintf("connected=%d timeouts=%d other=%d\n", len(held), timeouts, other)
	if err := os.WriteFile(os.Args[4], []byte(line), 0o644); err != nil {
		os.Exit(1)
	}
	select {}
}
