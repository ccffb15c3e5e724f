package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// TestNoCommandExecution: the exporter must never run a command, so nothing
// that can start a process may even be linked into it.
func TestNoCommandExecution(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	must(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "os/exec" {
			t.Error("os/exec is a dependency of the exporter")
		}
	}
	syms, err := exec.Command("go", "tool", "nm", binary).Output()
	must(t, err)
	if m := regexp.MustCompile(`(?m) (os/exec\.\S+|syscall\.(Exec|ForkExec|forkExec|StartProcess)\b|os\.StartProcess)`).FindAllString(string(syms), 5); m != nil {
		t.Errorf("process-starting code linked into the binary: %q", m)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kmod_exporter test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSAndBasicAuth runs the exporter with an exporter-toolkit web
// configuration: TLS 1.2 or later only, and basic auth.
func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	must(t, err)
	webConfig := filepath.Join(dir, "web.yml")
	must(t, os.WriteFile(webConfig, []byte(fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  min_version: TLS12\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash)), 0o600))

	addr := freePort(t)
	cmd := exec.Command(binary, append(scenarioArgs("healthy"), "--web.listen-address="+addr, "--web.config.file="+webConfig)...)
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	client := func(minV, maxV uint16) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: minV, MaxVersion: maxV}}}
	}
	get := func(c *http.Client, user, pass string) (int, error) {
		req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	modern := client(tls.VersionTLS12, tls.VersionTLS13)
	var code int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, err = get(modern, "", ""); err == nil {
			break
		}
	}
	if code != http.StatusUnauthorized {
		t.Fatalf("without credentials: %d %v\n%s", code, err, logs)
	}
	if code, err := get(modern, "prometheus", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d %v", code, err)
	}
	if code, err := get(modern, "prometheus", "s3cret"); code != http.StatusOK {
		t.Errorf("with credentials: %d %v", code, err)
	}
	if _, err := get(client(tls.VersionTLS10, tls.VersionTLS11), "prometheus", "s3cret"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("served metrics over plain HTTP")
		}
	}
}

// TestLoad sends 20,000 scrapes from 20 concurrent clients: no errors, and
// the exporter's goroutines come back to where they were.
func TestLoad(t *testing.T) {
	scrapes, clients := 20000, 20
	if raceEnabled {
		scrapes = 2000 // the race detector slows the exporter's clients, not the exporter
	}
	var args []string
	for _, a := range scenarioArgs("healthy") {
		if a != "--web.disable-exporter-metrics" { // go_goroutines is what this test watches
			args = append(args, a)
		}
	}
	e := startExporter(t, append(args, "--web.max-requests=0")...)
	gauge := func(name string) float64 {
		body := e.scrape(t)
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s", name)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	goroutines := func() int { return int(gauge("go_goroutines")) }
	before := goroutines()
	heapBefore := gauge("go_memstats_heap_inuse_bytes")
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		wg        sync.WaitGroup
	)
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	work := make(chan struct{}, scrapes)
	for i := 0; i < scrapes; i++ {
		work <- struct{}{}
	}
	close(work)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				start := time.Now()
				resp, err := client.Get("http://" + e.addr + "/metrics")
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				latencies = append(latencies, time.Since(start))
				if !ok {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	transport.CloseIdleConnections()
	if errs > 0 {
		t.Errorf("%d of %d scrapes failed", errs, scrapes)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	t.Logf("%d scrapes, %d clients: p50 %v, p99 %v", scrapes, clients, latencies[len(latencies)/2], latencies[len(latencies)*99/100])
	// go_goroutines is read while the scrape that reports it runs: the Go
	// metrics are gathered beside the collectors, whose worker may or may
	// not have ended by then, so one scrape's own goroutines are slack; a
	// leak over 20,000 scrapes would be far more.
	const scrapeOwn = 2
	var after int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if after = goroutines(); after <= before+scrapeOwn {
			break
		}
	}
	if after > before+scrapeOwn {
		t.Errorf("goroutines %d before the load, %d after", before, after)
	}
	// The heap in use settles back once the load stops: allow what one
	// more GC cycle may not have reclaimed yet.
	var heapAfter float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if heapAfter = gauge("go_memstats_heap_inuse_bytes"); heapAfter <= 2*heapBefore+8<<20 {
			break
		}
	}
	if heapAfter > 2*heapBefore+8<<20 {
		t.Errorf("heap in use %.0f bytes before the load, %.0f after", heapBefore, heapAfter)
	}
	t.Logf("heap in use: %.1f MiB before, %.1f MiB after", heapBefore/(1<<20), heapAfter/(1<<20))
}

// TestMaxRequests: beyond --web.max-requests concurrent scrapes, the
// exporter answers 503 at once instead of queueing.
func TestMaxRequests(t *testing.T) {
	e := startExporter(t, append(scenarioArgs("healthy"), "--web.max-requests=1")...)
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	const requests = 100
	for i := 0; i < requests; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // all at once, so that they overlap
			resp, err := http.Get("http://" + e.addr + "/metrics")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[-1]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	if codes[200] == 0 || codes[503] == 0 || codes[200]+codes[503] != requests {
		t.Errorf("status codes %v: want some 200 and some 503, nothing else", codes)
	}
}

// TestWarnsAsRoot: the exporter needs no privileges and says so when it
// has them.
func TestWarnsAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not running as root")
	}
	e := startExporter(t, scenarioArgs("healthy")...)
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if bytes.Contains([]byte(e.logs.String()), []byte("running as root")) {
			return
		}
	}
	t.Errorf("no warning about running as root:\n%s", e.logs)
}

// writeCalls are the system calls that create, change or remove files.
var writeCalls = regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|\b(creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat|renameat2|truncate|ftruncate|chmod|fchmodat|symlink|symlinkat|link|linkat)\(`)

// traceWrites runs the exporter under strace and returns the lines of every
// call that could write a file.
func traceWrites(t *testing.T, args []string, during func(addr string)) []string {
	t.Helper()
	strace := testenv.Tool(t, "strace")
	log := filepath.Join(t.TempDir(), "trace")
	addr := freePort(t)
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", log, "-e",
		"trace=open,openat,openat2,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,truncate,ftruncate,chmod,fchmodat,symlink,symlinkat,link,linkat",
		binary, "--web.listen-address=" + addr}, args...)...)
	must(t, cmd.Start())
	if during != nil {
		during(addr)
		// Stop the traced exporter, not strace (which would detach and
		// leave it running); strace ends with it.
		children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		must(t, err)
		for _, pid := range strings.Fields(string(children)) {
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGTERM)
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the traced exporter did not stop")
	}
	data, err := os.ReadFile(log)
	must(t, err)
	var writes []string
	for _, l := range strings.Split(string(data), "\n") {
		if writeCalls.MatchString(l) {
			writes = append(writes, l)
		}
	}
	return writes
}

// TestNoWrites: serving scrapes writes nothing at all, and --output.file
// writes only its own file (through a temporary file beside it).
func TestNoWrites(t *testing.T) {
	writes := traceWrites(t, scenarioArgs("blacklisted"), func(addr string) {
		for i := 0; i < 3; i++ {
			if scrapeWhenUp(addr) == "" {
				t.Error("no scrape")
			}
		}
	})
	if len(writes) > 0 {
		t.Errorf("serving scrapes wrote: %q", writes)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "kmod.prom")
	for _, w := range traceWrites(t, append(scenarioArgs("blacklisted"), "--output.file="+out), nil) {
		if !strings.Contains(w, dir+"/") {
			t.Errorf("--output.file wrote outside %s: %s", dir, w)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}
