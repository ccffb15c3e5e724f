package kmod

import (
	"fmt"
	"strings"
)

// IpsetCreate is one set an ipset restore file creates.
type IpsetCreate struct {
	Line int
	Name string
	Type string // hash:ip, bitmap:port, list:set, ...
}

// maxIpsetSets bounds the sets one file may create: far above any real
// host's, and it keeps a hostile file from making unbounded requirements.
const maxIpsetSets = 10000

// ParseIpsets reads an `ipset save` / `ipset restore` file and lists the
// sets it creates, with their types: each type is a module the kernel
// loads when the set is created (ip_set_hash_ip for hash:ip). Entries
// (add), comments and the other commands need nothing more.
func ParseIpsets(data []byte) ([]IpsetCreate, []InvalidLine) {
	var sets []IpsetCreate
	var invalid []InvalidLine
	eachLine(data, func(raw []byte, num int) {
		words := strings.Fields(string(raw))
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			return
		}
		switch words[0] {
		case "create", "-N", "--create", "-c", "c":
		default:
			return
		}
		args := words[1:]
		for len(args) > 0 && (args[0] == "-exist" || args[0] == "-!") {
			args = args[1:]
		}
		switch {
		case len(args) < 2:
			invalid = append(invalid, InvalidLine{num, "create needs a set name and a type"})
		case !validIpsetType(args[1]):
			invalid = append(invalid, InvalidLine{num, fmt.Sprintf("set type %s is not METHOD:DATATYPES", quote(args[1]))})
		case len(sets) >= maxIpsetSets:
			invalid = append(invalid, InvalidLine{num, fmt.Sprintf("more than %d sets", maxIpsetSets)})
		default:
			sets = append(sets, IpsetCreate{Line: num, Name: args[0], Type: args[1]})
		}
	})
	return sets, invalid
}

// validIpsetType accepts METHOD:DATATYPES as ipset names them (hash:ip,port).
func validIpsetType(t string) bool {
	method, types, ok := strings.Cut(t, ":")
	if !ok || !validIdent(method) || types == "" || len(t) > 32 {
		return false
	}
	for _, d := range strings.Split(types, ",") {
		if !validIdent(d) {
			return false
		}
	}
	return true
}

// IpsetModule is the module alias the kernel requests to create a set of
// type t (ip_set_core: request_module("ip_set_%s", type)).
func IpsetModule(t string) string { return "ip_set_" + t }
