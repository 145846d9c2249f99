package emulator_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stDataDirConfig is the default configuration storing in dir.
func stDataDirConfig(dir string) emulator.Config {
	cfg := emulator.DefaultConfig()
	cfg.DataDir = dir
	return cfg
}

func TestDataDirSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := emulatortest.NewServer(t, emulatortest.WithConfig(stDataDirConfig(dir)))
	b := first.Bucket
	require.Equal(t, 200, stUpload(t, first, b+"/docs/report.pdf", "%PDF-1.7", "application/pdf").status)
	require.Equal(t, 200, stUpload(t, first, b+"/docs/old.txt", "old", "text/plain").status)
	require.Equal(t, 200, stUpload(t, first, b+"/docs/old.txt", "newer", "text/plain").status)
	require.Equal(t, 200, stUpload(t, first, b+"/gone.txt", "bye", "").status)
	require.Equal(t, 200, stDo(t, first, http.MethodDelete, "/v1/files/"+b+"/gone.txt", nil).status)
	require.Equal(t, 200, stDo(t, first, http.MethodPost, "/v1/ops/resource/copy",
		strings.NewReader(`{"sourceUrl":"files/`+b+`/docs/report.pdf",`+
			`"destinationUrl":"files/`+b+`/copy.pdf"}`)).status)
	require.Equal(t, 200, stDo(t, first, http.MethodPut, "/v1/conversations/"+b+"/c1",
		strings.NewReader(`{"id":"c1"}`)).status)

	items := []string{"/v1/metadata/files/" + b + "/docs/report.pdf", "/v1/metadata/files/" + b + "/docs/old.txt",
		"/v1/metadata/files/" + b + "/copy.pdf", "/v1/metadata/conversations/" + b + "/c1"}
	before := map[string]string{}
	for _, p := range items {
		r := stDo(t, first, http.MethodGet, p, nil)
		require.Equal(t, 200, r.status, p)
		before[p] = r.body
	}
	listing := stDo(t, first, http.MethodGet, "/v1/metadata/files/"+b+"/?recursive=true", nil).body
	require.NoError(t, first.Emulator.Close())

	// Leftovers of a crash: an unfinished upload and an unreferenced content file.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tmp", "upload-123"), []byte("partial"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "objects", "0123.abc.data"), []byte("orphan"), 0o644))

	second := emulatortest.NewServer(t, emulatortest.WithConfig(stDataDirConfig(dir)))
	for _, p := range items {
		r := stDo(t, second, http.MethodGet, p, nil)
		require.Equal(t, 200, r.status, p)
		assert.JSONEq(t, before[p], r.body, "metadata, etag and timestamps survive: %s", p)
	}
	assert.JSONEq(t, listing, stDo(t, second, http.MethodGet, "/v1/metadata/files/"+b+"/?recursive=true", nil).body)
	d := stDo(t, second, http.MethodGet, "/v1/files/"+b+"/docs/report.pdf", nil)
	assert.Equal(t, "%PDF-1.7", d.body)
	assert.Equal(t, "application/pdf", d.header.Get("Content-Type"))
	assert.Equal(t, md5hex("%PDF-1.7"), d.header.Get("ETag"))
	assert.Equal(t, "newer", stDo(t, second, http.MethodGet, "/v1/files/"+b+"/docs/old.txt", nil).body)
	assert.Equal(t, 404, stDo(t, second, http.MethodGet, "/v1/files/"+b+"/gone.txt", nil).status)
	assert.Equal(t, `{"id":"c1"}`, stDo(t, second, http.MethodGet, "/v1/conversations/"+b+"/c1", nil).body)

	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "unfinished uploads are removed")
	objects, err := os.ReadDir(filepath.Join(dir, "objects"))
	require.NoError(t, err)
	var sidecars, data int
	for _, o := range objects {
		switch filepath.Ext(o.Name()) {
		case ".json":
			sidecars++
		case ".data":
			data++
		}
	}
	assert.Equal(t, 4, sidecars, "one metadata file per item")
	assert.Equal(t, 4, data, "one content file per item; replaced and orphaned ones are removed")
}

func TestDataDirDamaged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "objects"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "objects", "x.json"), []byte("{"), 0o644))
	_, err := emulator.New(stDataDirConfig(dir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "damaged metadata file")
}

func TestConcurrentUploadsAndDeletes(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"memory", "datadir"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cfg := emulator.DefaultConfig()
			if mode == "datadir" {
				cfg.DataDir = t.TempDir()
			}
			srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
			b := srv.Bucket
			file := "/v1/files/" + b + "/hot/file.txt"
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := range 15 {
						switch (w + i) % 3 {
						case 0:
							content := fmt.Sprintf("writer %d round %d %s", w, i, strings.Repeat("#", w*1000+i))
							r := stUpload(t, srv, b+"/hot/file.txt", content, "text/plain")
							assert.Equal(t, 200, r.status)
							assert.Equal(t, md5hex(content), r.header.Get("ETag"))
						case 1:
							r := stDo(t, srv, http.MethodDelete, file, nil)
							assert.Contains(t, []int{200, 404}, r.status)
						default:
							r := stDo(t, srv, http.MethodGet, file, nil)
							if assert.Contains(t, []int{200, 404}, r.status) && r.status == 200 {
								assert.Equal(t, md5hex(r.body), r.header.Get("ETag"), "a download is one version")
								assert.Equal(t, fmt.Sprint(len(r.body)), r.header.Get("Content-Length"))
							}
						}
					}
				})
			}
			wg.Wait()
			// Leave the file in place, then check that every view agrees.
			require.Equal(t, 200, stUpload(t, srv, b+"/hot/file.txt", "final", "text/plain").status)
			meta := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/hot/file.txt", nil).body)
			down := stDo(t, srv, http.MethodGet, file, nil)
			assert.Equal(t, md5hex(down.body), meta["etag"])
			assert.EqualValues(t, len(down.body), meta["contentLength"])
			list := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/?recursive=true", nil).body)
			assert.Equal(t, []string{"files/" + b + "/hot/file.txt"}, stURLs(t, list))
			if mode == "datadir" {
				objects, err := os.ReadDir(filepath.Join(cfg.DataDir, "objects"))
				require.NoError(t, err)
				assert.Len(t, objects, 2, "one sidecar and one content file remain")
				tmp, err := os.ReadDir(filepath.Join(cfg.DataDir, "tmp"))
				require.NoError(t, err)
				assert.Empty(t, tmp)
			}
		})
	}
}
