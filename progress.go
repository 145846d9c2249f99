package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// minProgressBytes is the smallest transfer that gets a progress bar.
const minProgressBytes = 4 << 20

// progressSink returns the DialConfig.Progress of a terminal w: a progress bar on w for uploads
// and downloads of a known size of at least minProgressBytes, nothing for others.
func progressSink(w io.Writer) func(label string, total int64) io.WriteCloser {
	return func(label string, total int64) io.WriteCloser {
		if total < minProgressBytes {
			return nil
		}
		return &progress{w: w, total: total, bar: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseIECUnits(true),
		)}
	}
}

// progress counts the bytes written to it on its bar. Closing it before the total arrived (a
// failed transfer) leaves the bar where it stopped.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int64
	done  int64
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	_ = p.bar.Add(len(b))
	return len(b), nil
}

func (p *progress) Close() error {
	if p.done >= p.total {
		return p.bar.Finish()
	}
	err := p.bar.Exit()
	_, _ = io.WriteString(p.w, "\n") // the error report that follows starts on a line of its own
	return err
}
