// Substitution helpers. The mixin edits the shipped rules and dashboard
// rather than restating them, so causes/ and dashboards/ stay the one
// source; each edit asserts that its text is still there, so a change to
// the shipped files that a setting no longer reaches fails the render.
{
  // The values the shipped files use, which the settings replace.
  shipped:: (import 'causes.libsonnet').defaults,

  replace(what, s, from, to)::
    assert std.length(std.findSubstr(from, s)) > 0 : '%s: %s no longer contains %s' % [what, s, from];
    std.strReplace(s, from, to),

  // replaceAll replaces in every string of a JSON value.
  replaceAll(v, from, to)::
    if std.isString(v) then std.strReplace(v, from, to)
    else if std.isArray(v) then [$.replaceAll(e, from, to) for e in v]
    else if std.isObject(v) then { [k]: $.replaceAll(v[k], from, to) for k in std.objectFields(v) }
    else v,
}
