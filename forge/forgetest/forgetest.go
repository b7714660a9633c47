// Package forgetest runs stand-ins for the git hosts' deploy-key APIs
// (GitHub, GitLab, Gitea, Bitbucket Cloud, Bitbucket Data Center) on
// loopback https servers, answering with each host's documented request
// paths, status codes and JSON shapes, including its error bodies. A key
// added through a stand-in is passed to Options.OnAdd, which tests point at
// the real test sshd's authorized_keys (sshdtest.Server.AuthorizeKey), so
// the re-test after an upload is a real SSH login.
package forgetest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/forge"
)

// Default credentials of a stand-in.
const (
	// Token is the token that may manage the repository's keys.
	Token = "gjt_admin_0123456789"
	// ReadOnlyToken authenticates but may not manage deploy keys (403:
	// missing scope or not an admin).
	ReadOnlyToken = "gjt_reader_0123456789"
)

// Options configure a stand-in. The zero value serves octo/app (GitLab:
// group/sub/app; Bitbucket Data Center: project PRJ, repo app).
type Options struct {
	Repo forge.Repo
	// InUse lists public keys the host already holds elsewhere (another
	// repository's deploy key or a user's key): adding one is refused with
	// the host's "already in use" answer.
	InUse []string
	// Existing are deploy keys the repository has at the start.
	Existing []forge.DeployKey
	// PageSize is the number of keys per list page (default 100), small to
	// test paging.
	PageSize int
	// OnAdd is called with each added key's authorized_keys line.
	OnAdd func(line string)
	// AcceptDelay delays OnAdd, as hosts that take a few seconds to let a
	// new key log in.
	AcceptDelay time.Duration
}

// Server is a running stand-in.
type Server struct {
	*httptest.Server
	Kind forge.Kind
	Repo forge.Repo

	t      testing.TB
	o      Options
	mu     sync.Mutex
	keys   []forge.DeployKey
	nextID int
	posts  int
	timers []*time.Timer
}

// New starts a stand-in for kind on an https loopback server, stopped at
// test cleanup. Its Client() trusts its certificate.
func New(t testing.TB, kind forge.Kind, o Options) *Server {
	t.Helper()
	if o.Repo.Owner == "" {
		o.Repo = map[forge.Kind]forge.Repo{
			forge.GitLab:          {Owner: "group/sub", Name: "app"},
			forge.BitbucketServer: {Owner: "PRJ", Name: "app"},
		}[kind]
		if o.Repo.Owner == "" {
			o.Repo = forge.Repo{Owner: "octo", Name: "app"}
		}
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	s := &Server{Kind: kind, Repo: o.Repo, t: t, o: o, keys: append([]forge.DeployKey(nil), o.Existing...), nextID: 1000}
	mux := http.NewServeMux()
	h := s.handlers()
	if h == nil {
		t.Fatalf("forgetest: unknown kind %q", kind)
	}
	mux.HandleFunc("GET "+h.path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h, false) })
	mux.HandleFunc("POST "+h.path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h, true) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.fail(w, http.StatusNotFound, failNotFound) })
	s.Server = httptest.NewTLSServer(mux)
	t.Cleanup(func() {
		s.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, tm := range s.timers {
			tm.Stop()
		}
	})
	return s
}

// Keys returns the repository's deploy keys now.
func (s *Server) Keys() []forge.DeployKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]forge.DeployKey(nil), s.keys...)
}

// Posts returns how many add requests reached the server.
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

// CertFile writes the server's certificate as PEM into a test directory and
// returns its path: a binary run by a test trusts it through SSL_CERT_FILE.
func (s *Server) CertFile() string {
	s.t.Helper()
	p := filepath.Join(s.t.TempDir(), "forge-ca.pem")
	cert := s.Certificate()
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}

type failure int

const (
	failBadToken failure = iota
	failForbidden
	failNotFound
	failInUse
	failInvalid
)

// kindHandlers is one host's shapes.
type kindHandlers struct {
	path      string                           // ServeMux pattern of the keys collection
	repo      func(r *http.Request) forge.Repo // from the path
	token     func(r *http.Request) string     // from the headers
	list      func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total int, start int)
	parseAdd  func(body []byte) (title, key string, readOnly bool, err error)
	added     func(w http.ResponseWriter, k forge.DeployKey)
	fail      func(w http.ResponseWriter, status int, f failure)
	failCodes map[failure]int
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, h *kindHandlers, post bool) {
	tok := h.token(r)
	if tok != Token && tok != ReadOnlyToken {
		h.fail(w, h.status(failBadToken), failBadToken)
		return
	}
	if got := h.repo(r); got != s.Repo {
		h.fail(w, h.status(failNotFound), failNotFound)
		return
	}
	if tok == ReadOnlyToken {
		h.fail(w, h.status(failForbidden), failForbidden)
		return
	}
	if !post {
		s.mu.Lock()
		keys := append([]forge.DeployKey(nil), s.keys...)
		s.mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		if p, _ := strconv.Atoi(r.URL.Query().Get("page")); p > 1 {
			start = (p - 1) * s.o.PageSize
		}
		start = min(max(start, 0), len(keys))
		end := min(start+s.o.PageSize, len(keys))
		h.list(w, r, keys[start:end], len(keys), start)
		return
	}
	var body [64 << 10]byte
	n, _ := readAll(r, body[:])
	title, key, readOnly, err := h.parseAdd(body[:n])
	mat, kerr := forge.KeyMaterial(key)
	if err != nil || kerr != nil || title == "" || !readOnly {
		h.fail(w, h.status(failInvalid), failInvalid)
		return
	}
	s.mu.Lock()
	s.posts++
	inUse := false
	for _, k := range append(append([]string(nil), s.o.InUse...), keyTexts(s.keys)...) {
		if m, err := forge.KeyMaterial(k); err == nil && m == mat {
			inUse = true
		}
	}
	if inUse {
		s.mu.Unlock()
		h.fail(w, h.status(failInUse), failInUse)
		return
	}
	s.nextID++
	k := forge.DeployKey{ID: strconv.Itoa(s.nextID), Title: title, Key: mat, ReadOnly: true}
	s.keys = append(s.keys, k)
	if s.o.OnAdd != nil {
		if s.o.AcceptDelay > 0 {
			s.timers = append(s.timers, time.AfterFunc(s.o.AcceptDelay, func() { s.o.OnAdd(mat + " " + title) }))
		} else {
			s.o.OnAdd(mat + " " + title)
		}
	}
	s.mu.Unlock()
	h.added(w, k)
}

func keyTexts(keys []forge.DeployKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Key
	}
	return out
}

func readAll(r *http.Request, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Body.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (h *kindHandlers) status(f failure) int { return h.failCodes[f] }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request, scheme string) string {
	a := r.Header.Get("Authorization")
	if v, ok := strings.CutPrefix(a, scheme+" "); ok {
		return v
	}
	return ""
}

// basicPassword is the password of HTTP basic auth (Bitbucket app passwords).
func basicPassword(r *http.Request) string {
	a := r.Header.Get("Authorization")
	v, ok := strings.CutPrefix(a, "Basic ")
	if !ok {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	_, pw, _ := strings.Cut(string(raw), ":")
	return pw
}

// linkNext sets a GitHub/GitLab/Gitea Link header when more keys follow.
func linkNext(w http.ResponseWriter, r *http.Request, start, n, total, pageSize int) {
	if start+n >= total {
		return
	}
	page := start/pageSize + 2
	u := *r.URL
	q := u.Query()
	q.Set("page", strconv.Itoa(page))
	u.RawQuery = q.Encode()
	w.Header().Set("Link", fmt.Sprintf(`<https://%s%s>; rel="next"`, r.Host, u.RequestURI()))
}
