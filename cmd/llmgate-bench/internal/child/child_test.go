package child

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRunServesUntilStdinCloses runs a child in the test process: it must
// announce its address, serve there, and return 0 once its standard input
// ends, as it does when the benchmark that holds it dies.
func TestRunServesUntilStdinCloses(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") })
		code <- Run(h, stdinR, stdoutW, &stderr)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the announcement: %v", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), ListeningPrefix)
	if !ok || addr == "" {
		t.Fatalf("announcement %q", line)
	}
	go io.Copy(io.Discard, stdoutR)
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "served" {
		t.Fatalf("body %q", body)
	}
	stdinW.Close()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d, stderr %q", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its standard input closed")
	}
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Fatal("the child still serves after it returned")
	}
}

func TestNewFloorForwards(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method+" "+r.URL.RequestURI())
	}))
	defer up.Close()
	p, err := NewFloor(up.URL, 2)
	if err != nil {
		t.Fatal(err)
	}
	fs := httptest.NewServer(FullDuplex(p))
	defer fs.Close()
	resp, err := http.Post(fs.URL+"/a/b?c=d", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := string(body); got != "POST /a/b?c=d" {
		t.Fatalf("upstream saw %q", got)
	}
	for _, bad := range []string{"not a url", "https://example.com", "http://", ":"} {
		if _, err := NewFloor(bad, 1); !errors.Is(err, ErrBadUpstream) {
			t.Errorf("NewFloor(%q) = %v, want ErrBadUpstream", bad, err)
		}
	}
}
