package gitops

import (
	"sort"
	"strings"
)

// How gitjira answers each ssh_config(5) keyword of OpenSSH 9.
type keywordKind int

const (
	// kwHonoured: applied as ssh applies it.
	kwHonoured keywordKind = iota
	// kwIgnored: does not change which host is reached, as whom, with
	// which key, or how the host is verified (forwardings, keep-alives,
	// logging, connection sharing, algorithm lists...): read and ignored.
	kwIgnored
	// kwRefused: changes the route, the login or the host check in a way
	// gitjira cannot reproduce: a host it applies to is refused with one
	// line naming it (unless the value turns it off).
	kwRefused
)

type keywordRule struct {
	kind keywordKind
	// off reports values that turn a refused keyword off (then it is fine).
	off func(args []string) bool
	// why is the one-line reason for a refusal, or the note for the docs.
	why string
}

func isNone(args []string) bool { return len(args) > 0 && strings.EqualFold(args[0], "none") }
func isNo(args []string) bool {
	return len(args) > 0 && (strings.EqualFold(args[0], "no") || strings.EqualFold(args[0], "false"))
}

var keywordRules = func() map[string]keywordRule {
	m := map[string]keywordRule{}
	for _, k := range []string{
		"host", "match", "include", "hostname", "user", "port", "identityfile", "certificatefile",
		"identitiesonly", "identityagent", "proxyjump", "proxycommand", "userknownhostsfile",
		"globalknownhostsfile", "hostkeyalias", "stricthostkeychecking", "canonicalizehostname",
		"canonicaldomains", "canonicalizemaxdots", "canonicalizefallbacklocal", "canonicalizepermittedcnames",
		"connecttimeout", "addressfamily", "ignoreunknown", "batchmode",
	} {
		m[k] = keywordRule{kind: kwHonoured}
	}
	for _, k := range []string{
		"forwardagent", "forwardx11", "forwardx11trusted", "forwardx11timeout", "xauthlocation",
		"gatewayports", "localforward", "remoteforward", "dynamicforward", "clearallforwardings",
		"exitonforwardfailure", "permitremoteopen", "compression", "serveraliveinterval",
		"serveralivecountmax", "tcpkeepalive", "keepalive", "loglevel", "logverbose", "syslogfacility",
		"logfacility", "sendenv", "setenv", "requesttty", "escapechar", "enableescapecommandline",
		"visualhostkey", "hashknownhosts", "checkhostip", "updatehostkeys", "verifyhostkeydns",
		"nohostauthenticationforlocalhost", "controlmaster", "controlpath", "controlpersist",
		"permitlocalcommand", "localcommand", "rekeylimit", "ipqos", "streamlocalbindmask",
		"streamlocalbindunlink", "forkafterauthentication", "sessiontype", "stdinnull",
		"gssapiauthentication", "gssapidelegatecredentials", "kbdinteractiveauthentication",
		"kbdinteractivedevices", "challengeresponseauthentication", "passwordauthentication",
		"hostbasedauthentication", "numberofpasswordprompts", "addkeystoagent", "ciphers", "macs",
		"kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes",
		"hostbasedacceptedalgorithms", "hostbasedkeytypes", "casignaturealgorithms", "fingerprinthash",
		"requiredrsasize", "securitykeyprovider", "tunnel", "tunneldevice", "connectionattempts",
		"enablesshkeysign", "protocol", "cipher", "fallbacktorsh", "usersh", "useprivilegedport",
		"rhostsauthentication", "useroaming", "rsaauthentication", "rhostsrsaauthentication",
		"compressionlevel", "afstokenpassing", "kerberosauthentication", "kerberostgtpassing",
		"skeyauthentication", "tisauthentication", "dsaauthentication", "globalknownhostsfile2",
		"userknownhostsfile2", "identityfile2",
	} {
		m[k] = keywordRule{kind: kwIgnored}
	}
	refuse := func(k, why string, off func([]string) bool) { m[k] = keywordRule{kind: kwRefused, off: off, why: why} }
	refuse("bindaddress", "binding the local address is not supported", nil)
	refuse("bindinterface", "binding a local interface is not supported", nil)
	refuse("proxyusefdpass", "a ProxyCommand that passes a file descriptor is not supported; use one that relays stdin/stdout", isNo)
	refuse("knownhostscommand", "host keys from a command are not supported; list them in a known_hosts file", isNone)
	refuse("pkcs11provider", "PKCS#11 keys are not supported; load the key into ssh-agent (ssh-add -s) and give its public key with --key", isNone)
	refuse("smartcarddevice", "smartcard keys are not supported; load the key into ssh-agent and give its public key with --key", isNone)
	refuse("remotecommand", "it would replace git-upload-pack, as it stops git too", isNone)
	refuse("revokedhostkeys", "revoked-key files are not read; mark revoked keys with @revoked in known_hosts instead", isNone)
	refuse("pubkeyauthentication", "gitjira signs in with a key only", func(a []string) bool { return !isNo(a) })
	refuse("preferredauthentications", "publickey is not among the methods allowed", func(a []string) bool {
		for _, m := range strings.Split(strings.Join(a, ","), ",") {
			if strings.EqualFold(m, "publickey") {
				return true
			}
		}
		return false
	})
	return m
}()

// checkKeyword refuses a keyword OpenSSH does not know (as ssh does: "Bad
// configuration option"), unless IgnoreUnknown names it.
func (st *evalState) checkKeyword(l configLine) error {
	if _, ok := keywordRules[l.keyword]; ok {
		return nil
	}
	if ig := st.opts.get("ignoreunknown"); ig != "" && patternListMatches(l.keyword, strings.Join(st.opts.vals["ignoreunknown"], ","), true) {
		return nil
	}
	return &ConfigError{File: l.file, Line: l.num, Keyword: l.keyword,
		Reason: "Bad configuration option (ssh refuses it too): remove it, or name it in an IgnoreUnknown line above it"}
}

// checkUnsupported refuses, with one line, a keyword that applies to this
// host and that gitjira cannot honour.
func (o *sshOptions) checkUnsupported() error {
	var kws []string
	for k := range o.vals {
		kws = append(kws, k)
	}
	sort.Slice(kws, func(i, j int) bool { return before(o.lines[kws[i]], o.lines[kws[j]], o.files) })
	for _, k := range kws {
		r := keywordRules[k]
		if r.kind != kwRefused || (r.off != nil && r.off(o.vals[k])) {
			continue
		}
		return o.refuse(k, r.why)
	}
	return nil
}

// displayKeyword gives the keyword with OpenSSH's capitals for messages.
func displayKeyword(kw string) string {
	for _, k := range displayKeywords {
		if strings.EqualFold(k, kw) {
			return k
		}
	}
	return kw
}

var displayKeywords = []string{
	"Host", "Match", "Include", "HostName", "User", "Port", "IdentityFile", "CertificateFile", "IdentitiesOnly",
	"IdentityAgent", "ProxyJump", "ProxyCommand", "UserKnownHostsFile", "GlobalKnownHostsFile", "HostKeyAlias",
	"StrictHostKeyChecking", "CanonicalizeHostname", "CanonicalDomains", "CanonicalizeMaxDots",
	"CanonicalizeFallbackLocal", "CanonicalizePermittedCNAMEs", "ConnectTimeout", "AddressFamily",
	"IgnoreUnknown", "BatchMode", "BindAddress", "BindInterface", "ProxyUseFdpass", "KnownHostsCommand",
	"PKCS11Provider", "SmartcardDevice", "RemoteCommand", "RevokedHostKeys", "PubkeyAuthentication",
	"PreferredAuthentications",
}
