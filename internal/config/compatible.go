package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// compatibleDef is one OpenAI-compatible server as defined by defaults.yaml
// (the presets) and the config file, before and after the environment is
// applied. It is configured when its base URL is known and its key is set
// or optional.
type compatibleDef struct {
	name string
	// baseURL is the file's baseURL, replaced by the variable baseURLEnv
	// names when that is set.
	baseURL    string
	baseURLEnv string
	// apiKey is the file's literal apiKey, replaced by the variable
	// apiKeyEnv names when that is set.
	apiKey      string
	apiKeyEnv   string
	keyOptional bool
}

func (d *compatibleDef) configured() bool {
	return d.baseURL != "" && (d.apiKey != "" || d.keyOptional)
}

// missing names what to set for the server to be configured, "" if it is.
func (d *compatibleDef) missing() string {
	switch {
	case d.configured():
		return ""
	case d.baseURL == "" && d.baseURLEnv != "":
		return "set " + d.baseURLEnv
	case d.baseURL == "":
		return "set compatible[" + d.name + "].baseURL in the config file"
	case d.apiKeyEnv != "":
		return "set " + d.apiKeyEnv
	}
	return "set compatible[" + d.name + "].apiKeyEnv in the config file"
}

// compatibleDef returns the definition called name, adding it if needed.
func (c *Config) compatibleDef(name string) *compatibleDef {
	for i := range c.compatibleDefs {
		if c.compatibleDefs[i].name == name {
			return &c.compatibleDefs[i]
		}
	}
	c.compatibleDefs = append(c.compatibleDefs, compatibleDef{name: name})
	return &c.compatibleDefs[len(c.compatibleDefs)-1]
}

// compatibleVariables are the variables the compatible definitions read.
func (c *Config) compatibleVariables() map[string]bool {
	vars := map[string]bool{}
	for _, d := range c.compatibleDefs {
		if d.baseURLEnv != "" {
			vars[d.baseURLEnv] = true
		}
		if d.apiKeyEnv != "" {
			vars[d.apiKeyEnv] = true
		}
	}
	return vars
}

// applyCompatibleEnv reads each definition's base URL and key variables. A
// key set for a server whose base URL is unknown is an error naming the
// variable to set, as for an Azure key without its endpoint.
func applyCompatibleEnv(c *Config, env map[string]string) error {
	var errs []error
	for i := range c.compatibleDefs {
		d := &c.compatibleDefs[i]
		if v, ok := env[d.baseURLEnv]; ok && d.baseURLEnv != "" {
			d.baseURL = v
		}
		if v, ok := env[d.apiKeyEnv]; ok && d.apiKeyEnv != "" {
			d.apiKey = v
			if d.baseURL == "" {
				want := "compatible[" + d.name + "].baseURL"
				if d.baseURLEnv != "" {
					want = d.baseURLEnv
				}
				errs = append(errs, fmt.Errorf("%s is set but %s is not", d.apiKeyEnv, want))
			}
		}
	}
	return errors.Join(errs...)
}

// resolveCompatible fills Compatible with the configured definitions, in
// order, with base URLs in normal form.
func (c *Config) resolveCompatible() {
	c.Compatible = nil
	for i := range c.compatibleDefs {
		d := &c.compatibleDefs[i]
		d.baseURL = strings.TrimRight(d.baseURL, "/")
		if d.configured() {
			c.Compatible = append(c.Compatible, Compatible{
				Name:        d.name,
				BaseURL:     d.baseURL,
				APIKey:      d.apiKey,
				KeyOptional: d.keyOptional,
			})
		}
	}
}

var (
	// envNamePattern is the form of a variable name that apiKeyEnv and
	// baseURLEnv accept.
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// providerNamePattern is the form of a compatible server's name, which
	// is also a provider name and the first half of a deployment name.
	providerNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

func (c *Config) validateCompatible() []error {
	var errs []error
	for _, d := range c.compatibleDefs {
		path := "compatible[" + d.name + "]"
		if !providerNamePattern.MatchString(d.name) {
			errs = append(errs, fmt.Errorf("%s.name: %q must be lower-case letters, digits, '_', '-' or '.'", path, d.name))
		}
		if builtinProviders[d.name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is a built-in provider", path, d.name))
		}
		for _, v := range []struct{ key, name string }{{"baseURLEnv", d.baseURLEnv}, {"apiKeyEnv", d.apiKeyEnv}} {
			if v.name != "" && !envNamePattern.MatchString(v.name) {
				errs = append(errs, fmt.Errorf("%s.%s: %q is not a variable name", path, v.key, v.name))
			}
		}
		if d.baseURL != "" {
			if err := checkHTTPURL(d.baseURL); err != nil {
				where := path + ".baseURL"
				if d.baseURLEnv != "" {
					where += " (" + d.baseURLEnv + ")"
				}
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
	}
	return errs
}
