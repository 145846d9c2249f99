package dial

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// Statuses of an application function's deployment (ApplicationFunction.Status).
const (
	FunctionUndeployed  = "UNDEPLOYED"
	FunctionDeploying   = "DEPLOYING"
	FunctionDeployed    = "DEPLOYED"
	FunctionUndeploying = "UNDEPLOYING"
	FunctionFailed      = "FAILED"
)

// CustomApplication is an application stored as a resource under /v1/applications (DIAL
// Core's Application, with snake_case wire names). It either names an Endpoint of its own or
// has a Function: code in a files folder that DIAL deploys on request ([Client.DeployApplication]).
// DIAL sets Name to the application's URL, Reference when absent, and the function's ID,
// Status, AuthorBucket and TargetFolder. Members this type does not declare (features,
// defaults, application_properties, …) are kept in Extra, so an application read and saved
// back loses nothing.
//
// Once saved, the application is a deployment whose id is its URL:
// client.Chat(ctx, "applications/<bucket>/my-app", …).
type CustomApplication struct {
	Name           string        `json:"name,omitempty"`
	DisplayName    LocalizedText `json:"display_name,omitzero"`
	DisplayVersion string        `json:"display_version,omitempty"`
	Description    string        `json:"description,omitempty"`
	IconURL        string        `json:"icon_url,omitempty"`
	// Endpoint is the chat completions URL DIAL forwards to; for a function DIAL sets it
	// while the function is deployed.
	Endpoint  string               `json:"endpoint,omitempty"`
	Reference string               `json:"reference,omitempty"`
	Function  *ApplicationFunction `json:"function,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type customApplicationJSON CustomApplication

var customApplicationFields = jsonFields[customApplicationJSON]()

// MarshalJSON encodes the application with the members of Extra inline.
func (a CustomApplication) MarshalJSON() ([]byte, error) {
	return marshalExtra(customApplicationJSON(a), a.Extra, customApplicationFields)
}

// UnmarshalJSON decodes an application, keeping undeclared members in Extra.
func (a *CustomApplication) UnmarshalJSON(b []byte) error {
	*a = CustomApplication{}
	return unmarshalExtra(b, (*customApplicationJSON)(a), &a.Extra, customApplicationFields)
}

// ApplicationFunction is the code of a [CustomApplication]: Runtime ("python3.11"), the files
// folder SourceFolder ("files/<bucket>/my-app/", in the application's bucket), Mapping from
// endpoint names ("chat_completion" is required; "rate", "tokenize", "truncate_prompt",
// "configuration") to paths starting with '/', and Env. DIAL fills the rest; Status is one of
// the Function* constants and Error says why a deployment FAILED.
type ApplicationFunction struct {
	ID           string            `json:"id,omitempty"`
	Runtime      string            `json:"runtime,omitempty"`
	AuthorBucket string            `json:"author_bucket,omitempty"`
	SourceFolder string            `json:"source_folder,omitempty"`
	TargetFolder string            `json:"target_folder,omitempty"`
	Status       string            `json:"status,omitempty"`
	Error        string            `json:"error,omitempty"`
	Mapping      map[string]string `json:"mapping,omitzero"`
	Env          map[string]string `json:"env,omitzero"`

	Extra map[string]json.RawMessage `json:"-"`
}

type applicationFunctionJSON ApplicationFunction

var applicationFunctionFields = jsonFields[applicationFunctionJSON]()

// MarshalJSON encodes the function with the members of Extra inline.
func (f ApplicationFunction) MarshalJSON() ([]byte, error) {
	return marshalExtra(applicationFunctionJSON(f), f.Extra, applicationFunctionFields)
}

// UnmarshalJSON decodes a function, keeping undeclared members in Extra.
func (f *ApplicationFunction) UnmarshalJSON(b []byte) error {
	*f = ApplicationFunction{}
	return unmarshalExtra(b, (*applicationFunctionJSON)(f), &f.Extra, applicationFunctionFields)
}

// ApplicationLog is the log of one instance of a deployed function.
type ApplicationLog struct {
	Instance string `json:"instance"`
	Content  string `json:"content"`
}

// SaveCustomApplication stores app at appURL, an applications URL relative to /v1
// ("applications/<bucket>/folder/my-app") or absolute on the client's server, and returns the
// new metadata with its ETag. DIAL refuses (400) an application with neither endpoint nor
// function, or a function without runtime, mapping or source folder. Saving over an
// application keeps its function's identity and deployment status. Use [IfMatch] and
// IfNoneMatch("*") as for prompts.
func (c *Client) SaveCustomApplication(ctx context.Context, appURL string, app CustomApplication, opts ...CallOption) (*FileMetadata, error) {
	u, err := c.parseItem(appURL, ResourceApplications)
	if err != nil {
		return nil, err
	}
	body, err := marshalBody(app)
	if err != nil {
		return nil, err
	}
	return c.putJSON(ctx, u, body, opts)
}

// GetCustomApplication returns the application stored at appURL and its ETag. A missing one
// matches [ErrNotFound].
func (c *Client) GetCustomApplication(ctx context.Context, appURL string, opts ...CallOption) (*CustomApplication, string, error) {
	u, err := c.parseItem(appURL, ResourceApplications)
	if err != nil {
		return nil, "", err
	}
	var app CustomApplication
	etag, err := c.getJSON(ctx, u, &app, opts)
	if err != nil {
		return nil, "", err
	}
	return &app, etag, nil
}

// DeleteCustomApplication deletes the application at appURL. DIAL refuses (an [*APIError]
// with StatusCode 409) while its function is deployed or deploying; a missing one matches
// [ErrNotFound].
func (c *Client) DeleteCustomApplication(ctx context.Context, appURL string, opts ...CallOption) error {
	return c.deleteItem(ctx, appURL, ResourceApplications, opts)
}

// CustomApplicationMetadata returns the metadata of an application, or of an applications
// folder with one page of its children when appURL ends in '/' (see [Client.FileMetadata]).
func (c *Client) CustomApplicationMetadata(ctx context.Context, appURL string, opts ...CallOption) (*FileMetadata, error) {
	return c.typedMetadata(ctx, ResourceApplications, appURL, opts)
}

// ListCustomApplications iterates over the children of an applications folder, like
// [Client.ListFiles].
func (c *Client) ListCustomApplications(ctx context.Context, folderURL string, opts ...CallOption) iter.Seq2[FileMetadata, error] {
	return c.listTyped(ctx, ResourceApplications, folderURL, opts)
}

// DeployApplication starts deploying the function of the application at appURL (POST
// /v1/ops/application/deploy) and returns the application, its function now DEPLOYING; poll
// [Client.GetCustomApplication] until the status is DEPLOYED or FAILED. DIAL answers 409
// (an [*APIError]) for an application without a function or one already deployed or deploying.
func (c *Client) DeployApplication(ctx context.Context, appURL string, opts ...CallOption) (*CustomApplication, error) {
	var app CustomApplication
	if err := c.applicationOp(ctx, "deploy", appURL, opts, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

// UndeployApplication starts undeploying the function of the application at appURL (POST
// /v1/ops/application/undeploy) and returns the application, its function now UNDEPLOYING.
// DIAL answers 409 (an [*APIError]) unless the function is DEPLOYED.
func (c *Client) UndeployApplication(ctx context.Context, appURL string, opts ...CallOption) (*CustomApplication, error) {
	var app CustomApplication
	if err := c.applicationOp(ctx, "undeploy", appURL, opts, &app); err != nil {
		return nil, err
	}
	return &app, nil
}

// ApplicationLogs returns the logs of the deployed function of the application at appURL
// (POST /v1/ops/application/logs), one entry per instance. DIAL answers 409 (an [*APIError])
// unless the function is DEPLOYED.
func (c *Client) ApplicationLogs(ctx context.Context, appURL string, opts ...CallOption) ([]ApplicationLog, error) {
	var out struct {
		Logs []ApplicationLog `json:"logs"`
	}
	if err := c.applicationOp(ctx, "logs", appURL, opts, &out); err != nil {
		return nil, err
	}
	return out.Logs, nil
}

// DefaultDeployPoll is how often [Client.WaitApplication] reads an application by default.
const DefaultDeployPoll = 5 * time.Second

// WaitApplication reads the application at appURL every interval ([DefaultDeployPoll] when
// zero or less) until its function is no longer DEPLOYING or UNDEPLOYING, and returns it: a
// status of DEPLOYED, FAILED (with the reason in Function.Error) or UNDEPLOYED. An application
// without a function is returned at once. ctx bounds the wait; a failed read ends it.
func (c *Client) WaitApplication(ctx context.Context, appURL string, interval time.Duration, opts ...CallOption) (*CustomApplication, error) {
	if interval <= 0 {
		interval = DefaultDeployPoll
	}
	for {
		app, _, err := c.GetCustomApplication(ctx, appURL, opts...)
		if err != nil {
			return nil, err
		}
		if f := app.Function; f == nil || (f.Status != FunctionDeploying && f.Status != FunctionUndeploying) {
			return app, nil
		}
		if err := c.sleep(ctx, interval); err != nil {
			return nil, err
		}
	}
}

// applicationOp posts {"url": appURL} to /v1/ops/application/{op} and decodes the answer into out.
func (c *Client) applicationOp(ctx context.Context, op, appURL string, opts []CallOption, out any) error {
	u, err := c.parseItem(appURL, ResourceApplications)
	if err != nil {
		return err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return err
	}
	body, err := marshalBody(map[string]string{"url": u.requestForm()})
	if err != nil {
		return err
	}
	return c.callJSON(ctx, &request{method: http.MethodPost, path: "v1/ops/application/" + op, body: jsonBody(body), cc: cc}, out)
}

// MyApplicationsHome returns "applications/<bucket>/", the caller's custom applications root.
func (c *Client) MyApplicationsHome(ctx context.Context) (string, error) {
	return c.home(ctx, ResourceApplications)
}
