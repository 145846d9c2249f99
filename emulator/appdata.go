package emulator

// bucketInfo is the answer of GET /v1/bucket: the bucket, and an application key's appdata.
func (c *caller) bucketInfo() map[string]string {
	info := map[string]string{"bucket": c.bucket}
	if c.appdata != "" {
		info["appdata"] = c.appdata
	}
	return info
}
