package fetcher

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
)

type kind int

const (
	notArchive kind = iota
	tarPlain
	tarGzip
	tarBzip2
	tarXz
	zipArchive
	gzipFile
)

// archiveKind recognises archives by name, as Mesos does (case matters).
func archiveKind(name string) kind {
	has := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(name, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has(".tar"):
		return tarPlain
	case has(".tar.gz", ".tgz"):
		return tarGzip
	case has(".tar.bz2", ".tbz2"):
		return tarBzip2
	case has(".tar.xz", ".txz"):
		return tarXz
	case has(".zip"):
		return zipArchive
	case has(".gz"):
		return gzipFile
	}
	return notArchive
}

// extract unpacks the archive name into the sandbox's top directory,
// wherever output_file put the archive itself (as Mesos does), and keeps
// the archive.
func (w *writer) extract(name string) error {
	f, err := w.root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var budget *int64
	if w.maxSize > 0 {
		left := w.maxSize
		budget = &left
	}
	switch archiveKind(name) {
	case tarPlain:
		return w.untar(f, budget)
	case tarGzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: not gzip data: %w", name, err)
		}
		return w.untar(zr, budget)
	case tarBzip2:
		return w.untar(bzip2.NewReader(f), budget)
	case tarXz:
		// The standard library has no xz decoder; say so rather than
		// start the task without its files.
		return errors.New("xz archives are not supported: set extract to false and unpack in the task")
	case zipArchive:
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		return w.unzip(f, fi.Size(), budget)
	case gzipFile:
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: not gzip data: %w", name, err)
		}
		out := filepath.Base(strings.TrimSuffix(name, ".gz"))
		if out == "." || out == "/" {
			return fmt.Errorf("%s has no name to gunzip to", name)
		}
		return w.writeFile(out, zr, 0o644, budget)
	}
	return nil
}

func (w *writer) untar(r io.Reader, budget *int64) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		// With GODEBUG=tarinsecurepath=0 the reader flags unsafe names
		// itself; localName below refuses them either way, naming them.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return err
		}
		name, err := localName(hdr.Name)
		if err != nil {
			return fmt.Errorf("entry %s %w", hdr.Name, err)
		}
		if err := w.entry(name, hdr.FileInfo().Mode(), hdr.Typeflag, hdr.Linkname, tr, budget); err != nil {
			return fmt.Errorf("entry %s: %w", hdr.Name, err)
		}
	}
}

// entry writes one archive member: typ is a tar type flag (zip members
// are mapped to one).
func (w *writer) entry(name string, mode fs.FileMode, typ byte, link string, r io.Reader, budget *int64) error {
	// Only permission bits: a setuid binary owned by root in a sandbox
	// would be a way up for anyone who can reach it.
	perm := mode.Perm()
	if typ == tar.TypeXGlobalHeader {
		return nil
	}
	if name == "" {
		if typ == tar.TypeDir {
			return nil // "./": the sandbox itself
		}
		return errors.New("not a file name")
	}
	switch typ {
	case tar.TypeDir:
		// Owner rwx so that the members inside can be written.
		return w.mkdirAll(name, perm|0o700)
	case tar.TypeReg:
		return w.writeFile(name, r, perm, budget)
	case tar.TypeSymlink:
		return w.symlink(name, link)
	case tar.TypeLink:
		return w.hardlink(name, link)
	}
	return fmt.Errorf("unsupported type %q: only files, directories and links are extracted", typ)
}

func (w *writer) unzip(f io.ReaderAt, size int64, budget *int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return err
	}
	for _, zf := range zr.File {
		if err := w.unzipEntry(zf, budget); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) unzipEntry(zf *zip.File, budget *int64) error {
	name, err := localName(zf.Name)
	if err != nil {
		return fmt.Errorf("entry %s %w", zf.Name, err)
	}
	mode := zf.Mode()
	typ := byte(tar.TypeReg)
	var link string
	switch {
	case mode.IsDir():
		typ = tar.TypeDir
	case mode&fs.ModeSymlink != 0:
		// A zip symlink's content is its target.
		typ = tar.TypeSymlink
		if link, err = readSmall(zf); err != nil {
			return fmt.Errorf("entry %s: %w", zf.Name, err)
		}
	case !mode.IsRegular():
		typ = tar.TypeChar // refused by entry
	}
	var r io.Reader
	if typ == tar.TypeReg {
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("entry %s: %w", zf.Name, err)
		}
		defer rc.Close()
		r = rc
	}
	if err := w.entry(name, mode, typ, link, r, budget); err != nil {
		return fmt.Errorf("entry %s: %w", zf.Name, err)
	}
	return nil
}

// readSmall reads a zip symlink's target, refusing what no path could be.
func readSmall(zf *zip.File) (string, error) {
	rc, err := zf.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4097))
	if err != nil {
		return "", err
	}
	if len(b) > 4096 {
		return "", errors.New("symlink target longer than 4096 bytes")
	}
	return string(b), nil
}
