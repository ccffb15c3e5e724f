package main

import (
	"bytes"
	le "encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/klauspost/compress/flate"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kmod-exporter/kmod_exporter/collector"
)

// minScrapeBudget keeps a tiny or negative budget (timeout below the
// offset) from failing every collector.
const minScrapeBudget = 100 * time.Millisecond

// metricsHandler serves a scrape: the static metrics (build info, Go and
// process, reloads) and the collectors, bounded by Prometheus' scrape
// timeout (X-Prometheus-Scrape-Timeout-Seconds) less offset, so a slow
// collector costs its own metrics, not the whole scrape. At most
// maxRequests scrapes run at once; beyond that the answer is 503.
//
// It answers as promhttp.HandlerFor with ContinueOnError would (the same
// negotiation, headers and bytes; TestExpositionMatchesPromhttp), but
// reuses the encoded bytes of every family that is the one it encoded last
// time (the collectors and staticGatherer reuse unchanged families), and scrapes arriving
// while the host is being read share the next read (see gather).
func metricsHandler(static prometheus.Gatherer, kc *collector.KmodCollector, maxRequests int, offset time.Duration, logger log.Logger) http.Handler {
	h := &scrapeHandler{static: static, kc: kc, offset: offset, errorLog: stdLogger{logger}, deflateAfter: deflateAfter}
	h.idle, h.idleAfter, h.freeMemory = time.AfterFunc(time.Hour, h.rest), idleAfter, freeMemory
	h.idle.Stop()
	if maxRequests > 0 {
		h.inFlight = make(chan struct{}, maxRequests)
	}
	return h
}

type scrapeHandler struct {
	static   prometheus.Gatherer
	kc       *collector.KmodCollector
	offset   time.Duration
	inFlight chan struct{}
	errorLog stdLogger
	// deflateAfter is the package's, but for tests.
	deflateAfter time.Duration

	negotiated atomic.Pointer[negotiation]

	mu      sync.Mutex
	running bool   // a round is reading the host
	next    *round // the round the scrapes arriving now wait for
	cache   encodedFamilies
	idle    *time.Timer // fires idleAfter after the last round, see rest
	// idleAfter and freeMemory are the package's, but for tests.
	idleAfter  time.Duration
	freeMemory func()
}

// idleAfter is how long no scrape must come before the memory the last
// ones used is handed back to the system (see rest): longer than the gaps
// in a burst of scrapes, far shorter than Prometheus' interval.
const idleAfter = time.Second

// rest collects the garbage of the last rounds and returns the free
// memory to the system, once no scrape came for idleAfter. Between
// Prometheus' scrapes the heap would otherwise stay at the collector's
// goal, twice the live heap and at least 4 MB, and the runtime would hand
// the rest back only over minutes. The collection costs about a
// millisecond, once per interval; under load the timer never fires.
func (h *scrapeHandler) rest() {
	h.mu.Lock()
	busy := h.running
	h.mu.Unlock()
	if !busy {
		h.freeMemory()
	}
}

func freeMemory() {
	// The first collection moves what the pools hold (answer buffers, the
	// compressor's state) to their victim caches, the second frees it.
	runtime.GC()
	debug.FreeOSMemory()
}

func (h *scrapeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(w, fmt.Sprintf("limit of %d concurrent scrapes reached, try again later", cap(h.inFlight)), http.StatusServiceUnavailable)
			return
		}
	}
	var deadline time.Time
	if secs, err := strconv.ParseFloat(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64); err == nil && secs > 0 {
		budget := max(time.Duration(secs*float64(time.Second))-h.offset, minScrapeBudget)
		deadline = time.Now().Add(budget)
	}
	w.Header().Add("Vary", "Accept-Encoding")
	rd := h.gather(deadline)
	defer rd.release()
	if rd.err != nil {
		h.errorLog.Println("error gathering metrics:", rd.err)
		if len(rd.families) == 0 {
			http.Error(w, "An error has occurred while serving metrics:\n\n"+rd.err.Error(), http.StatusInternalServerError)
			return
		}
	}
	format := h.negotiate(r.Header)
	gzipped := acceptsGzip(r.Header.Get("Accept-Encoding"))
	hdr := w.Header()
	hdr.Add("Vary", "Accept")
	hdr.Set("Content-Type", string(format))
	var body *answer
	if names := r.URL.Query()["name[]"]; len(names) > 0 {
		body = h.encode(filterFamilies(rd.families, names), format, gzipped)
		defer putBuffer(body.buf)
	} else {
		body = rd.answer(format, gzipped, func() *answer { return h.encode(rd.families, format, gzipped) })
	}
	for _, err := range body.errs {
		h.errorLog.Println("error encoding and sending metric family:", err)
	}
	if gzipped {
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body.bytes)))
	w.Write(body.bytes)
}

// negotiation is the format answered to an Accept header.
type negotiation struct {
	accept   string
	escaping model.EscapingScheme
	format   expfmt.Format
}

// negotiate is expfmt.NegotiateAccept's answer, kept for the last Accept
// header: a Prometheus sends the same one at every scrape, and
// negotiating parses it and every offered format anew, a twentieth of a
// scrape's CPU when several clients scrape at once.
func (h *scrapeHandler) negotiate(hdr http.Header) expfmt.Format {
	accept, escaping := hdr.Get("Accept"), model.NameEscapingScheme
	if n := h.negotiated.Load(); n != nil && n.accept == accept && n.escaping == escaping {
		return n.format
	}
	f := expfmt.NegotiateAccept(hdr, expfmt.DefaultAcceptedFormats()...)
	h.negotiated.Store(&negotiation{accept, escaping, f})
	return f
}

// round is one reading of the host and the answers built from it.
type round struct {
	deadline time.Time // the earliest of its scrapes' deadlines; zero: none
	done     chan struct{}
	families []*dto.MetricFamily
	err      error
	refs     atomic.Int32 // scrapes using the round's answers

	mu      sync.Mutex
	answers map[answerKey]*answer
}

// release ends one scrape's use of the round; the last returns the
// answers' buffers to the pool. Scrapes join a round only before it reads
// the host and release it only after, so the count reaches 0 once.
func (rd *round) release() {
	if rd.refs.Add(-1) > 0 {
		return
	}
	for _, a := range rd.answers {
		if a.buf != nil {
			putBuffer(a.buf)
		}
	}
}

// buffers hold answers and their uncompressed text between scrapes, so a
// scrape does not allocate (and the collector scan) 64 KiB anew.
var buffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		b.Reset()
		buffers.Put(b)
	}
}

type answerKey struct {
	format  expfmt.Format
	gzipped bool
}

// answer is a response body, built once per round and format.
type answer struct {
	once  sync.Once
	bytes []byte
	buf   *bytes.Buffer // holding bytes, from the pool
	errs  []error
}

func (rd *round) answer(format expfmt.Format, gzipped bool, build func() *answer) *answer {
	k := answerKey{format, gzipped}
	rd.mu.Lock()
	a := rd.answers[k]
	if a == nil {
		if rd.answers == nil {
			rd.answers = map[answerKey]*answer{}
		}
		a = &answer{}
		rd.answers[k] = a
	}
	rd.mu.Unlock()
	a.once.Do(func() {
		b := build()
		a.bytes, a.buf, a.errs = b.bytes, b.buf, b.errs
	})
	return a
}

// gather returns a reading of the host begun after the call: a scrape that
// arrives while one is being read waits for the next, which every scrape
// that arrived meanwhile shares. So each answer is as fresh as its own
// reading would be, and 10 concurrent scrapers cost about one reading per
// round instead of ten (docs/benchmarks.md).
func (h *scrapeHandler) gather(deadline time.Time) *round {
	h.mu.Lock()
	rd := h.next
	if rd == nil {
		rd = &round{deadline: deadline, done: make(chan struct{})}
		h.next = rd
	}
	rd.refs.Add(1)
	if !deadline.IsZero() && (rd.deadline.IsZero() || deadline.Before(rd.deadline)) {
		rd.deadline = deadline
	}
	if h.running {
		h.mu.Unlock()
		<-rd.done
		return rd
	}
	h.running = true
	h.next = nil
	h.mu.Unlock()
	h.run(rd)
	return rd
}

// run reads the host for a round, then, if scrapes gathered meanwhile,
// starts a goroutine that reads for them and for those that gather while
// it does, round after round, until none is waiting: one goroutine a
// burst of scrapes, whose stack has grown to what a reading needs, not one
// a round.
func (h *scrapeHandler) run(rd *round) {
	h.read(rd)
	if next := h.following(); next != nil {
		go func() {
			for rd := next; rd != nil; rd = h.following() {
				h.read(rd)
			}
		}()
	}
}

func (h *scrapeHandler) read(rd *round) {
	defer close(rd.done)
	rd.families, rd.err = merged{h.static, h.kc.Within(rd.deadline)}.Gather()
}

// following takes the round that gathered scrapes during the last one, or
// says no reading runs any more.
func (h *scrapeHandler) following() *round {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := h.next
	if next == nil {
		h.running = false
		// The first reading also parses every index file and drops the
		// parses no question needed (kmod's modules.alias): several
		// megabytes, handed back once the scrapes pause.
		h.idle.Reset(h.idleAfter)
		return nil
	}
	h.next = nil
	return next
}

func filterFamilies(families []*dto.MetricFamily, names []string) []*dto.MetricFamily {
	var out []*dto.MetricFamily
	for _, f := range families {
		for _, n := range names {
			if f.GetName() == n {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// encodedFamilies keeps the encoding of each family that came back the
// same (the same object: the collectors and the static gatherer reuse a
// family while its series are unchanged) in two scrapes running, per
// format: text, and (see deflateAfter) as a deflate segment. A family seen
// once (one whose values changed: the collector durations, most Go and
// process metrics) is encoded with the scrape and not kept. Only families
// of the last answer are kept.
type encodedFamilies struct {
	mu      sync.Mutex
	entries map[*dto.MetricFamily]*familyBytes
	spare   map[*dto.MetricFamily]*familyBytes // emptied and filled next
}

type familyBytes struct {
	formats map[expfmt.Format]*segment // nil until seen twice
	seen    time.Time                  // first seen
}

// segment is encoded bytes: the exposition, and (made when first asked for)
// the same compressed as a deflate segment that ends byte-aligned and not
// final, so segments can be put one after another into one gzip stream.
type segment struct {
	plain    []byte
	err      error
	deflated []byte
	since    time.Time // the family's first answer
}

// deflateAfter is how long a family must have stayed unchanged before its
// kept segment is compressed; until then its bytes are stored. Some Go and
// process families change with every garbage collection: compressing each
// one again whenever it came back the same twice was 1.6 compressions a
// scrape under load, and kept the compressor's pooled state (a quarter of a
// megabyte, half the live heap) alive for good. A second is longer than a
// collection cycle under load and shorter than any scrape interval, so a
// family that stays as it is is compressed from its second scrape.
const deflateAfter = time.Second

// encode builds the body for families: the exposition in format, gzipped or
// not.
func (h *scrapeHandler) encode(families []*dto.MetricFamily, format expfmt.Format, gzipped bool) *answer {
	a := &answer{}
	kept := pieceLists.Get().(*[]piece)
	defer func() {
		clear(*kept) // let the segments go
		*kept = (*kept)[:0]
		pieceLists.Put(kept)
	}()
	plain, pieces := h.encodePlain(a, families, h.keptSegments(families, format), format, *kept)
	*kept = pieces
	if !gzipped {
		a.bytes, a.buf = plain.Bytes(), plain
		return a
	}
	defer putBuffer(plain)
	out := h.gzipPieces(plain.Bytes(), pieces)
	a.bytes, a.buf = out.Bytes(), out
	return a
}

// pieceLists hold an answer's pieces while it is built.
var pieceLists = sync.Pool{New: func() any { return new([]piece) }}

// keptSegments looks up each family's kept encoding in format, or notes it
// is new (nil), and keeps only this scrape's families in the cache.
func (h *scrapeHandler) keptSegments(families []*dto.MetricFamily, format expfmt.Format) []*segment {
	segs := make([]*segment, len(families))
	now := time.Now()
	h.cache.mu.Lock()
	defer h.cache.mu.Unlock()
	previous := h.cache.entries
	// The map before last becomes this one: only the last is ever read.
	entries := h.cache.spare
	if entries == nil {
		entries = make(map[*dto.MetricFamily]*familyBytes, len(families))
	}
	clear(entries)
	for i, f := range families {
		fb := previous[f]
		switch {
		case fb == nil:
			fb = &familyBytes{seen: now}
		case fb.formats == nil:
			fb.formats = map[expfmt.Format]*segment{}
			fallthrough
		default:
			if fb.formats[format] == nil {
				fb.formats[format] = &segment{since: fb.seen}
			}
			segs[i] = fb.formats[format]
		}
		entries[f] = fb
	}
	h.cache.entries, h.cache.spare = entries, previous
	return segs
}

// piece is a byte range of the plain exposition: a kept segment, or (seg
// nil) a run of families encoded for this answer alone.
type piece struct {
	seg        *segment
	start, end int
}

// encodePlain writes the exposition of families, a kept segment's bytes
// where segs has one, and returns it with its pieces in order, appended to
// pieces; encoding errors go to a.
func (h *scrapeHandler) encodePlain(a *answer, families []*dto.MetricFamily, segs []*segment, format expfmt.Format, pieces []piece) (*bytes.Buffer, []piece) {
	plain := getBuffer()
	// One encoder for the answer: making one parses the format.
	enc := expfmt.NewEncoder(plain, format)
	for i, f := range families {
		s := segs[i]
		if s != nil {
			h.cache.mu.Lock()
			if s.plain == nil {
				s.plain, s.err = encodeFamily(f, format)
			}
			p, err := s.plain, s.err
			h.cache.mu.Unlock()
			if err != nil {
				a.errs = append(a.errs, err)
			}
			start := plain.Len()
			plain.Write(p)
			pieces = append(pieces, piece{seg: s, start: start, end: plain.Len()})
			continue
		}
		start := plain.Len()
		if err := enc.Encode(f); err != nil {
			a.errs = append(a.errs, err)
		}
		if n := len(pieces); n > 0 && pieces[n-1].seg == nil {
			pieces[n-1].end = plain.Len()
		} else {
			pieces = append(pieces, piece{start: start, end: plain.Len()})
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		start := plain.Len()
		if err := c.Close(); err != nil {
			a.errs = append(a.errs, err)
		}
		if plain.Len() > start {
			pieces = append(pieces, piece{start: start, end: plain.Len()})
		}
	}
	return plain, pieces
}

// gzipPieces gzips body piece by piece: a kept segment's deflated bytes
// (deflated once, then kept with it), the rest stored as is.
func (h *scrapeHandler) gzipPieces(body []byte, pieces []piece) *bytes.Buffer {
	out := getBuffer()
	now := time.Now()
	// The gzip header: deflate, no name, no time, unknown OS (RFC 1952).
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	for _, p := range pieces {
		if p.seg == nil {
			writeStored(out, body[p.start:p.end])
			continue
		}
		h.cache.mu.Lock()
		if p.seg.deflated == nil && now.Sub(p.seg.since) < h.deflateAfter {
			h.cache.mu.Unlock()
			writeStored(out, body[p.start:p.end])
			continue
		}
		if p.seg.deflated == nil {
			var b bytes.Buffer
			flate.StatelessDeflate(&b, body[p.start:p.end], false, nil)
			p.seg.deflated = b.Bytes()
		}
		d := p.seg.deflated
		h.cache.mu.Unlock()
		out.Write(d)
	}
	// The final block: empty and stored (BFINAL 1, BTYPE 00, LEN 0, NLEN
	// 0xffff), written by hand so that an answer whose families are all
	// kept compresses nothing and the compressor's pooled state (half a
	// megabyte) is let go.
	out.Write([]byte{1, 0, 0, 0xff, 0xff})
	out.Write(le.LittleEndian.AppendUint32(le.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)), uint32(len(body))))
	return out
}

// writeStored appends data as stored (uncompressed) deflate blocks. The
// families encoded for one answer alone (the Go and process metrics that
// changed, the collector durations) are a few kilobytes in short runs
// between kept segments, and compressing a run costs about 10 µs however
// short it is, for a kilobyte saved: storing them cut a scrape's CPU by a
// tenth for 3 KB more on the wire (docs/benchmarks.md).
func writeStored(out *bytes.Buffer, data []byte) {
	for len(data) > 0 {
		n := min(len(data), 0xffff)
		// Byte-aligned here (after the gzip header or a segment that ends
		// aligned): the block header is BFINAL 0, BTYPE 00 and padding.
		out.WriteByte(0)
		out.Write(le.LittleEndian.AppendUint16(le.LittleEndian.AppendUint16(nil, uint16(n)), ^uint16(n)))
		out.Write(data[:n])
		data = data[n:]
	}
}

func encodeFamily(f *dto.MetricFamily, format expfmt.Format) ([]byte, error) {
	var b bytes.Buffer
	err := expfmt.NewEncoder(&b, format).Encode(f)
	return b.Bytes(), err
}

// acceptsGzip reads an Accept-Encoding header as RFC 9110 says: gzip (or
// "*") listed with a non-zero weight.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.TrimSpace(coding)
		if !strings.EqualFold(coding, "gzip") && !strings.EqualFold(coding, "x-gzip") && coding != "*" {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(param), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// merged serves the static families and one scrape's collector families,
// each list sorted by name. Their names never meet (the static ones are
// kmod_exporter_*, go_*, process_* and promhttp_*), so the lists are merged
// in order without prometheus.Gatherers' per-series checks, which would
// cost as much as the scrape itself; should a name meet, Gatherers merges
// and checks them.
type merged struct{ static, scrape prometheus.Gatherer }

func (m merged) Gather() ([]*dto.MetricFamily, error) {
	// The static metrics are gathered beside the collectors, on the other
	// core: mostly the last reading again (selfReuse), but every quarter
	// of a second the Go runtime's and /proc/self's, a tenth of a
	// millisecond. Gathering them inline, one after the other, was a sixth
	// more CPU a scrape under load (docs/benchmarks.md).
	var (
		a    []*dto.MetricFamily
		errA error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		a, errA = m.static.Gather()
	}()
	b, errB := m.scrape.Gather()
	<-done
	out := make([]*dto.MetricFamily, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch strings.Compare(a[i].GetName(), b[j].GetName()) {
		case -1:
			out = append(out, a[i])
			i++
		case 1:
			out = append(out, b[j])
			j++
		default:
			fixed := func(f []*dto.MetricFamily, err error) prometheus.Gatherer {
				return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return f, err })
			}
			return prometheus.Gatherers{fixed(a, errA), fixed(b, errB)}.Gather()
		}
	}
	out = append(append(out, a[i:]...), b[j:]...)
	return out, errors.Join(errA, errB)
}
