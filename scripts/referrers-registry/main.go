// A registry with the OCI 1.1 referrers API: go-containerregistry's registry implementation.
//
// Two opt-in flags put a thin middleware in front of it for client paths ggcr has no use for:
// -referrers-page-size splits referrers lists into pages linked by `Link: <…>; rel="next"`, and
// -oci-subject answers a manifest PUT that carries a subject with `OCI-Subject: <digest>`, as
// registries implementing distribution spec v1.1 do. The middleware only re-frames ggcr's own
// answers: ggcr still stores every blob and manifest and computes every referrers list.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("address", "127.0.0.1:0", "address to listen on")
	pageSize := flag.Int("referrers-page-size", 0,
		"when > 0, answer referrers lists in pages of at most this many descriptors, "+
			`each but the last with a Link: <…>; rel="next" header`)
	linkOrigin := flag.String("referrers-link-origin", "",
		"with -referrers-page-size, write next-page links as absolute URLs on this origin "+
			"(scheme://host[:port]) instead of relative ones: another origin tests a client's refusal")
	ociSubject := flag.Bool("oci-subject", false,
		"answer a successful manifest PUT whose body has a subject with OCI-Subject: <subject digest>")
	flag.Parse()

	origin := ""
	if *linkOrigin != "" {
		u, err := url.Parse(*linkOrigin)
		if err != nil || u.Scheme == "" || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			log.Fatalf("-referrers-link-origin %q: want scheme://host[:port]", *linkOrigin)
		}
		origin = u.Scheme + "://" + u.Host
	}

	var h http.Handler = registry.New(registry.WithReferrersSupport(true))
	if *pageSize > 0 {
		h = pageReferrers(h, *pageSize, origin)
	}
	if *ociSubject {
		h = announceSubject(h)
	}
	log.Fatal(http.ListenAndServe(*addr, h))
}

var (
	referrersPath = regexp.MustCompile(`^/v2/.+/referrers/[^/]+$`)
	manifestsPath = regexp.MustCompile(`^/v2/.+/manifests/[^/]+$`)
)

// pageReferrers asks ggcr for the whole list and hands it out a page at a time. Pages follow
// digest order (ggcr's own order is a Go map's, different on every call); the `last` token is
// the last digest of the previous page, so a page never repeats or skips a descriptor. The
// client's `n` may ask for smaller pages; `artifactType` goes to ggcr and into every next link.
func pageReferrers(next http.Handler, pageSize int, origin string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet || !referrersPath.MatchString(req.URL.Path) {
			next.ServeHTTP(w, req)
			return
		}
		query := req.URL.Query()
		last := query.Get("last")
		size := pageSize
		if n, err := strconv.Atoi(query.Get("n")); err == nil && n > 0 && n < size {
			size = n
		}
		// ggcr is asked what a client that does not page would ask.
		query.Del("last")
		query.Del("n")
		inner := req.Clone(req.Context())
		inner.URL.RawQuery = query.Encode()
		inner.RequestURI = inner.URL.RequestURI()
		rec := record(next, inner)
		if rec.code != http.StatusOK {
			rec.send(w, rec.body.Bytes())
			return
		}

		var index map[string]json.RawMessage
		var manifests []json.RawMessage
		if json.Unmarshal(rec.body.Bytes(), &index) != nil ||
			json.Unmarshal(index["manifests"], &manifests) != nil {
			rec.send(w, rec.body.Bytes()) // not an index: nothing to page
			return
		}
		digests := make([]string, len(manifests))
		for i, m := range manifests {
			var d struct {
				Digest string `json:"digest"`
			}
			_ = json.Unmarshal(m, &d)
			digests[i] = d.Digest
		}
		sort.Sort(byDigest{digests, manifests})
		start := 0
		if last != "" {
			start = sort.SearchStrings(digests, last)
			if start < len(digests) && digests[start] == last {
				start++
			}
		}
		end := min(start+size, len(manifests))
		page := append([]json.RawMessage{}, manifests[start:end]...)
		index["manifests"], _ = json.Marshal(page)
		body, _ := json.Marshal(index)

		if end < len(manifests) {
			link := fmt.Sprintf("%s%s?n=%d&last=%s", origin, req.URL.Path, size,
				url.QueryEscape(digests[end-1]))
			if t := query.Get("artifactType"); t != "" {
				link += "&artifactType=" + url.QueryEscape(t)
			}
			rec.header.Set("Link", fmt.Sprintf(`<%s>; rel="next"`, link))
		}
		rec.send(w, body)
	})
}

type byDigest struct {
	digests   []string
	manifests []json.RawMessage
}

func (b byDigest) Len() int           { return len(b.digests) }
func (b byDigest) Less(i, j int) bool { return b.digests[i] < b.digests[j] }
func (b byDigest) Swap(i, j int) {
	b.digests[i], b.digests[j] = b.digests[j], b.digests[i]
	b.manifests[i], b.manifests[j] = b.manifests[j], b.manifests[i]
}

// announceSubject adds `OCI-Subject: <subject digest>` to ggcr's success answer to a manifest PUT
// whose body has a subject. ggcr's referrers API lists such manifests by their subject already;
// the header tells the client so, and that it need not write the `sha256-<hex>` fallback index.
func announceSubject(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPut || !manifestsPath.MatchString(req.URL.Path) {
			next.ServeHTTP(w, req)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := record(next, req)
		var m struct {
			Subject *struct {
				Digest string `json:"digest"`
			} `json:"subject"`
		}
		if rec.code/100 == 2 && json.Unmarshal(body, &m) == nil && m.Subject != nil &&
			m.Subject.Digest != "" {
			rec.header.Set("OCI-Subject", m.Subject.Digest)
		}
		rec.send(w, rec.body.Bytes())
	})
}

// recorder holds a handler's answer so that the middleware can reframe it before it is sent.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func record(next http.Handler, req *http.Request) *recorder {
	rec := &recorder{header: http.Header{}}
	next.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) send(w http.ResponseWriter, body []byte) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(r.code)
	_, _ = w.Write(body)
}
