// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// keepalive: a Go client that keeps connections it no longer reads, with
// TCP keepalive on (Go's default; every second here), and the server that
// closes them under it.
//
//	keepalive server FILE
//	keepalive client ADDR:PORT N FILE
//
// server: listens on 127.0.0.1, writes the port to FILE; closes the
// sending side of each connection it accepts (the client's end goes to
// CLOSE_WAIT, the server's stays in FIN_WAIT2 and answers keepalive
// probes) and writes "fin=N" to FILE.fin; on SIGUSR1 resets them all
// (SO_LINGER 0) and writes "reset=N" to FILE.reset.
//
// client: dials ADDR:PORT N times and writes "connected=N" to FILE, then
// holds them, reading nothing, until killed.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func write(file, text string) {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(text+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Rename(tmp, file)
}

func server(file string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var held []*net.TCPConn
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		mu.Lock()
		for _, c := range held {
			c.SetLinger(0)
			c.Close()
		}
		write(file+".reset", fmt.Sprintf("reset=%d", len(held)))
		held = nil
		mu.Unlock()
	}()
	write(file, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		tc := c.(*net.TCPConn)
		tc.CloseWrite()
		mu.Lock()
		held = append(held, tc)
		write(file+".fin", fmt.Sprintf("fin=%d", len(held)))
		mu.Unlock()
	}
}

func client(addr string, n int, file string) {
	d := net.Dialer{KeepAlive: time.Second}
	var held []net.Conn
	for i := 0; i < n; i++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		held = append(held, c)
	}
	write(file, fmt.Sprintf("connected=%d", len(held)))
	select {}
}

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "server":
		server(os.Args[2])
	case len(os.Args) == 5 && os.Args[1] == "client":
		n, _ := strconv.Atoi(os.Args[3])
		client(os.Args[2], n, os.Args[4])
	default:
		fmt.Fprintln(os.Stderr, "usage: keepalive server FILE | keepalive client ADDR:PORT N FILE")
		os.Exit(2)
	}
}
