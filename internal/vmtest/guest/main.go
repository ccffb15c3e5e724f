// Command guest is the VM suite's helper inside the guest, for what busybox
// cannot do: hold memory, open many connections, drop privileges.
//
//	guest memhog MIB SECONDS    touch MIB of anonymous memory for SECONDS
//	guest udpflows N PORT       send one datagram from N source ports to 127.0.0.1:PORT
//	guest runas UID CMD ARGS... run CMD as UID (and the same GID)
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: guest memhog MIB SECONDS, udpflows N PORT, or runas UID CMD ARGS"))
	}
	var err error
	switch os.Args[1] {
	case "memhog":
		err = memhog(atoi(arg(2)), atoi(arg(3)))
	case "udpflows":
		err = udpflows(atoi(arg(2)), arg(3))
	case "runas":
		err = runas(atoi(arg(2)), os.Args[3:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	fail(err)
}

func arg(i int) string {
	if i >= len(os.Args) {
		fail(fmt.Errorf("%s: missing argument %d", os.Args[1], i))
	}
	return os.Args[i]
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err)
	}
	return n
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "guest:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// memhog keeps rewriting its memory so the kernel must reclaim to serve
// anyone else.
func memhog(mib, seconds int) error {
	buf := make([]byte, mib<<20)
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	for time.Now().Before(end) {
		for i := 0; i < len(buf); i += 4096 {
			buf[i]++
		}
	}
	return nil
}

// udpflows makes N conntrack entries: each source port is a new flow.
func udpflows(n int, port string) error {
	for i := 0; i < n; i++ {
		c, err := net.Dial("udp", "127.0.0.1:"+port)
		if err != nil {
			return err
		}
		c.Write([]byte("x"))
		c.Close()
	}
	return nil
}

func runas(id int, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("runas: no command")
	}
	if err := syscall.Setgroups(nil); err != nil {
		return err
	}
	if err := syscall.Setgid(id); err != nil {
		return err
	}
	if err := syscall.Setuid(id); err != nil {
		return err
	}
	return syscall.Exec(argv[0], argv, os.Environ())
}
