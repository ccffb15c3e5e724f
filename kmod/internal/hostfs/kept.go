package hostfs

import (
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A Dir's files stay open between reads and are read again from offset 0
// (see keptFile). Opening a /proc file, checking it and closing it again
// were three of the five system calls of each of the ten or so a scrape
// reads, and on a virtual machine a system call is the dearest thing a
// warm scrape does.

// maxKept bounds the files kept open: a Dir reads a fixed set of files (a
// score in /proc); the bound keeps a process that makes Dirs without end
// (tests) from holding descriptors without end.
const maxKept = 64

var (
	keptFiles sync.Map // path on this machine → *keptFile
	keptCount atomic.Int32
)

// keptFile is a file kept open for reading again.
//
// A procfs file (the host's /proc) is written anew by the kernel whenever
// it is read from offset 0, so its descriptor reads what opening the path
// would: the kernel's files are the same in every procfs mount, and a file
// whose kernel object went away (a module's sysctl or x_tables list after
// the module was unloaded) fails the read (ENOENT, EIO), after which the
// path is opened again.
//
// Any other file (a /proc copied into a directory, as in the tests) is
// read through its descriptor only while a stat of the path finds the same
// file (device and inode; an inode is not reused while the descriptor
// holds it), so a file replaced by another is read as the new one.
type keptFile struct {
	mu     sync.Mutex
	fd     int // -1 once dropped
	procfs bool
	info   statInfo // from opening: what a procfs file's reads report
	last   int      // the length of the last read, to size the next one
}

// readKept reads the file at real as openRead does, through a kept
// descriptor where one serves.
func readKept(real string, limit int64) ([]byte, fs.FileInfo, error) {
	if v, ok := keptFiles.Load(real); ok {
		k := v.(*keptFile)
		k.mu.Lock()
		data, fi, ok := k.read(real, limit)
		k.mu.Unlock()
		if ok {
			return data, fi, nil
		}
		// Dropped: the path is opened again below, which also says what
		// is wrong with it now, exactly as a first read would.
		if keptFiles.CompareAndDelete(real, k) {
			keptCount.Add(-1)
		}
	}
	fd, data, fi, err := openRead(real, limit)
	if err != nil || keptCount.Load() >= maxKept {
		if fd >= 0 {
			unix.Close(fd)
		}
		return data, fi, err
	}
	var sfs unix.Statfs_t
	// Not sysfs: a descriptor held on a module's attribute would outlive
	// the module, and nothing here reads sysfs often enough to matter.
	if unix.Fstatfs(fd, &sfs) != nil || sfs.Type == unix.SYSFS_MAGIC {
		unix.Close(fd)
		return data, fi, nil
	}
	k := &keptFile{fd: fd, procfs: sfs.Type == unix.PROC_SUPER_MAGIC, info: fi.(statInfo), last: len(data)}
	if _, loaded := keptFiles.LoadOrStore(real, k); loaded {
		unix.Close(fd) // another reader kept it first
	} else {
		keptCount.Add(1)
	}
	return data, fi, nil
}

// read reads the kept file again; ok false means it no longer serves (it
// is then closed) and nothing was read. k.mu is held: reads of one
// descriptor must not interleave, since a read from offset 0 makes a
// procfs file's content anew under the one in progress.
func (k *keptFile) read(real string, limit int64) (data []byte, fi fs.FileInfo, ok bool) {
	if k.fd < 0 {
		return nil, nil, false
	}
	info := k.info
	if !k.procfs {
		var st unix.Stat_t
		if err := unix.Stat(real, &st); err != nil || st.Dev != k.info.dev || st.Ino != k.info.ino {
			k.drop()
			return nil, nil, false
		}
		info = newStatInfo(filepath.Base(real), &st)
		if !info.Mode().IsRegular() || st.Size > limit {
			k.drop() // opening it again reports which
			return nil, nil, false
		}
	}
	buf, err := fill(real, max(int64(k.last), info.size), limit, func(p []byte, off int64) (int, bool, error) {
		n, err := unix.Pread(k.fd, p, off)
		// A regular file's read comes short only at its end; a procfs
		// file's may end at any record, and only 0 says it is done.
		return n, n == 0 || (!k.procfs && n < len(p)), err
	})
	if err != nil {
		k.drop()
		return nil, nil, false
	}
	k.last = len(buf)
	return buf, info, true
}

func (k *keptFile) drop() {
	unix.Close(k.fd)
	k.fd = -1
}
