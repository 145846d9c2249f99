// Package dial is a client for AI DIAL (DIAL Core): chat completions in block and streaming
// form, embeddings, deployment, model and application listings, DIAL storage (upload,
// download, delete, metadata, listing, move and copy of files), token counting and prompt
// truncation, rate limits and usage, and on top of them a tool-call loop, chat sessions saved
// as DIAL Chat conversations, prompts and templates.
//
// It is used on its own by Go programs and as the engine of dialua's Lua module, so every
// response keeps everything the server sent (typed fields, an Extra map for members this
// package does not declare, and the raw JSON), and every request can be given as raw JSON
// ([Client.ChatRaw], [Client.ChatStreamRaw], [Client.EmbeddingsRaw], [Client.DoJSON]); any
// endpoint is reachable with [Client.Do], which returns the status and headers too.
//
// A [Client] is safe for concurrent use. Every method that does I/O takes a context first.
// The package reads no environment variables.
//
//	c, err := dial.NewClient("https://dial.example.com", dial.WithAPIKey(key))
//	if err != nil { … }
//	defer c.Close()
//	resp, err := c.Chat(ctx, "gpt-4o", dial.ChatRequest{
//		Messages: []dial.Message{{Role: dial.RoleUser, Content: "2+3="}},
//	})
//	fmt.Println(resp.Text())
//
// # Authentication
//
// DIAL accepts an API key (the Api-Key header, [WithAPIKey]) and a bearer token (a JWT in
// Authorization, [WithBearerToken]); both may be given. [WithAPIKeyFunc] and
// [WithBearerTokenFunc] take a function called before every attempt, retries included, so
// short-lived tokens are refreshed; if it fails the request is not sent and the error
// matches [ErrCredentials]. Credentials are never logged, never put in an error (values a
// server echoes back, in an error answer or an error event of a stream, are masked; clients
// that share a [Secrets] with [WithSecrets] mask each other's), and never follow a redirect:
// redirects are refused and reported as an [*APIError].
//
// Clients made by [NewClient] have their own connections. Clients made by [Pool.NewClient]
// share the pool's keep-alive connections while each keeps its own base URL, credentials,
// api-version and bucket cache:
//
//	pool := dial.NewPool(dial.PoolOptions{MaxConnsPerHost: 64})
//	defer pool.Close()
//	alice, _ := pool.NewClient(url, dial.WithAPIKey(aliceKey))
//	bob, _ := pool.NewClient(url, dial.WithBearerTokenFunc(bobToken))
//
// # Streaming
//
// [Client.ChatStream] returns a [Stream] of [ChatChunk] once the response headers have
// arrived; an HTTP error is returned there, before any chunk. Read it like a bufio.Scanner or
// with range:
//
//	s, err := c.ChatStream(ctx, "gpt-4o", req)
//	if err != nil { … }
//	var full dial.ChatResponse
//	for chunk, err := range s.All() {
//		if err != nil { … }        // mid-stream error, truncation, timeout
//		fmt.Print(chunk.Text())
//		full.Accumulate(chunk)     // DIAL's merge rule: the complete response at the end
//	}
//
// The SSE decoder follows the specification (multi-line data, comments, CRLF); [DONE] ends
// the stream; an {"error":…} event ends it with an [*APIError] whose DuringStream is set; an
// end of connection without [DONE] or a finish_reason matches [ErrTruncated]. The client's
// timeout ([WithTimeout]) is an idle timeout: it bounds the wait for the next chunk, never
// the length of the stream. [MergeChunks] applies DIAL's merge rule to raw JSON chunks.
//
// # Errors
//
// An error answer from DIAL is an [*APIError], whether DIAL sent its JSON envelope or, as it
// often does, plain text without a Content-Type:
//
//	var apiErr *dial.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests {
//		wait := apiErr.RetryAfter
//	}
//
// Sentinels classify errors with errors.Is: [ErrNotFound] (404), [ErrETagMismatch] (412),
// [ErrInvalidURL] and [ErrNotDialURL] (a storage URL or id refused before any request; the
// error is a [*URLError]), [ErrTimeout], [ErrTransport], [ErrTruncated], [ErrParse],
// [ErrCredentials], [ErrClosed] and [ErrToolLoop]. A cancelled context gives an error
// matching [context.Canceled] or [context.DeadlineExceeded]. Messages are lowercase and start
// with "dial:".
//
// # Retries
//
// A request is retried, by default twice ([WithMaxRetries], per call [MaxRetries]), on
// transport errors and timeouts and on statuses 408, 429, 502, 503 and 504. The wait honours
// the server's Retry-After-Ms or Retry-After (seconds or an HTTP date) capped at the maximum
// wait; otherwise it grows exponentially from 0.5 s to 8 s with jitter ([WithRetryWait]). The
// wait ends early when the context is cancelled. A stream is never retried once its
// response has started, and an upload is retried only when its body can be replayed (an
// [io.ReadSeeker] or a path). When retries run out the error says how many attempts were made
// and wraps the last error, so errors.As still finds the [*APIError].
//
// Clients of one [Pool] can share a [Gate] ([PoolOptions].Gate): every attempt waits on it,
// and a 429 or 503 with Retry-After holds back every client of the pool, not just the one that
// got it. [NewRateGate] also caps the rate of attempts.
//
// # Storage URLs
//
// Files are named by storage URLs relative to the /v1 API, "files/<bucket>/<path>", or by
// absolute URLs on the client's own server. [StorageURL] parses and validates them before
// any request: each segment is percent-encoded exactly once, in the spelling of the URLs DIAL
// Core returns (so a joined URL equals the url of the same item in a listing), a folder
// keeps its trailing '/', and '..', empty segments, encoded '/' and other hosts are refused.
// [Client.SameStorageURL] compares URLs whatever their spelling.
// [Client.MyFilesHome] returns the caller's root folder, "files/<bucket>/".
//
// # Tools, sessions and prompts
//
// [Client.RunTools] runs the tool-call loop: Go functions answer the model's tool calls, one
// after the other on the caller's goroutine, until the model answers without one or
// RunOptions.MaxSteps completions were made ([ErrToolLoop]). A [Session] keeps a chat's
// history and is saved and loaded as a DIAL Chat [Conversation] under
// "conversations/<bucket>/" ([Client.MyConversationsHome]), so it opens in DIAL Chat. DIAL
// Chat's prompts live under "prompts/<bucket>/" ([Client.SavePrompt], [Client.GetPrompt]);
// [Template] fills their {{name}} placeholders:
//
//	p, _, err := c.GetPrompt(ctx, home+"summary")
//	text, err := dial.Template(p.Content, map[string]any{"text": doc, "n": 50})
//
// # Custom applications
//
// A [CustomApplication] is stored under "applications/<bucket>/" ([Client.SaveCustomApplication],
// [Client.MyApplicationsHome]); its URL is then a deployment id. The code of a function
// application is deployed with [Client.DeployApplication], awaited with
// [Client.WaitApplication], inspected with [Client.ApplicationLogs] and taken down with
// [Client.UndeployApplication].
//
// # Toolsets, sharing and subscriptions
//
// [Client.ListToolsets] and [Client.ToolsetTools] describe DIAL's MCP toolsets;
// [Client.OpenToolset] speaks MCP with one through Core, and RunOptions.Toolsets offers a
// toolset's tools in [Client.RunTools] beside the Go functions. [Client.CreateShare] invites
// other users to the caller's resources, [Client.AcceptInvitation] accepts such an invitation,
// and [Client.RevokeShares] takes the access back. [Client.Watch] calls a function for every
// change of watched storage items, reconnecting when the subscription drops.
package dial
