package kmod

import "bytes"

// eachLine calls fn with every line of data and its 1-based number. A final
// line without a newline counts. Lines are sub-slices of data: no copy and
// no length limit, so a long line costs nothing extra.
func eachLine(data []byte, fn func(line []byte, num int)) {
	num := 0
	for len(data) > 0 {
		num++
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			fn(data, num)
			return
		}
		fn(data[:i], num)
		data = data[i+1:]
	}
}

// isSpace is C's isspace() in the "C" locale, which kmod's parsers use.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
