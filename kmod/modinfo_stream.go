package kmod

import (
	"errors"
	"fmt"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"io"
	"sync/atomic"
)

// stream lets debug/elf read a compressed module as if at random: it keeps
// the first keepPrefix decompressed bytes, reads forward by decompressing
// and dropping, and decompresses again from the start (at most maxPasses
// times) to reach what lies behind. Nothing past MaxModuleSize is read.
type stream struct {
	open   func() (io.Reader, func(), error)
	r      io.Reader
	done   func()
	pos    int64 // of r, in the decompressed bytes
	prefix []byte
	passes int
	err    error // a decompression error, final
}

func (s *stream) close() {
	if s.done != nil {
		s.done()
	}
}

func (s *stream) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if off < 0 || end > MaxModuleSize {
		return 0, fmt.Errorf("decompressed module: data at %d, past %d bytes: %w", off, MaxModuleSize, hostfs.ErrTooLarge)
	}
	if end <= int64(len(s.prefix)) {
		return copy(p, s.prefix[off:end]), nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if plen := int64(len(s.prefix)); s.r != nil && off < plen && s.pos == plen {
		// Starts in the prefix and goes on where the stream stands: no
		// need to start again (debug/elf reads the 16-byte ident, then the
		// 64-byte header, both from 0).
		n := copy(p, s.prefix[off:])
		if err := s.fill(p[n:]); err != nil {
			return n, err
		}
		return len(p), nil
	}
	if s.r == nil || off < s.pos {
		if s.passes == maxPasses {
			return 0, fmt.Errorf("decompressed module: more than %d passes", maxPasses)
		}
		s.passes++
		decompressions.Add(1)
		s.close()
		r, done, err := s.open()
		if err != nil {
			s.err = err
			return 0, err
		}
		s.r, s.done, s.pos = r, done, 0
	}
	var buf [32 << 10]byte
	for s.pos < off {
		chunk := buf[:min(int64(len(buf)), off-s.pos)]
		if err := s.fill(chunk); err != nil {
			return 0, err
		}
	}
	if err := s.fill(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// fill reads len(p) decompressed bytes at s.pos, keeping those that fall in
// the prefix.
func (s *stream) fill(p []byte) error {
	n, err := io.ReadFull(s.r, p)
	// Extend the prefix with what lies past its end, also on a pass that
	// started again from 0 and reads bytes it already holds.
	if keep, plen := min(int64(keepPrefix), s.pos+int64(n)), int64(len(s.prefix)); s.pos <= plen && plen < keep {
		s.prefix = append(s.prefix, p[plen-s.pos:keep-s.pos]...)
	}
	s.pos += int64(n)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		s.err = fmt.Errorf("decompress: %w", err)
		if err == io.EOF {
			s.err = io.EOF
		}
		return s.err
	}
	return nil
}

// decompressions counts the passes over compressed modules, for tests.
var decompressions atomic.Int64

// checkXZDict refuses an xz stream whose LZMA2 dictionary is larger than
// maxXZDict: the decoder allocates it whole, so a hostile header alone
// could take gigabytes. It reads the stream header and the first block
// header (xz file format 1.2.0, sections 2.1.1 and 3.1).
func checkXZDict(r io.Reader) error {
	var hdr [12 + 1024 + 4]byte
	n, _ := io.ReadFull(r, hdr[:])
	b := hdr[:n]
	if len(b) < 13 || b[12] == 0 {
		return nil // no block: the decoder reports what is wrong
	}
	block := b[12:]
	size := (int(block[0]) + 1) * 4
	if len(block) < size {
		return nil
	}
	flags := block[1]
	i := 2
	varint := func() uint64 {
		var v uint64
		for shift := 0; i < size && shift < 63; shift += 7 {
			c := block[i]
			i++
			v |= uint64(c&0x7f) << shift
			if c&0x80 == 0 {
				break
			}
		}
		return v
	}
	if flags&0x40 != 0 {
		varint()
	}
	if flags&0x80 != 0 {
		varint()
	}
	for f := 0; f <= int(flags&3) && i < size; f++ {
		id, propSize := varint(), varint()
		if id == 0x21 && propSize == 1 && i < size {
			bits := uint(block[i] & 0x3f)
			if bits > 40 {
				return errors.New("xz: invalid dictionary size")
			}
			dict := uint64(2|bits&1) << (bits/2 + 11)
			if bits == 40 {
				dict = 1<<32 - 1
			}
			if dict > maxXZDict {
				return fmt.Errorf("xz dictionary of %d bytes, more than %d: %w", dict, maxXZDict, hostfs.ErrTooLarge)
			}
			return nil
		}
		i += int(propSize)
	}
	return nil
}
