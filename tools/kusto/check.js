// Reads {"tables": {name: {column: type}}, "queries": {name: kql}} on stdin; prints {name: [diagnostics]}.
// The analyser is Microsoft's Kusto.Language (the one Azure Data Explorer and Log Analytics editors use).
require("@kusto/language-service-next/bridge.min.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
const K = Kusto.Language;
const S = K.Symbols;
const TYPES = { datetime: S.ScalarTypes.DateTime, string: S.ScalarTypes.String, dynamic: S.ScalarTypes.Dynamic,
  real: S.ScalarTypes.Real, long: S.ScalarTypes.Long, int: S.ScalarTypes.Int };
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tables = Object.entries(input.tables).map(([name, columns]) =>
  new S.TableSymbol.$ctor4(name, Object.entries(columns).map(([c, t]) => new S.ColumnSymbol(c, TYPES[t]))));
const globals = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.$ctor1("appinsights", tables));
const out = {};
for (const [name, query] of Object.entries(input.queries)) {
  const diagnostics = K.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  out[name] = [];
  for (let i = 0; i < diagnostics.Count; i++) out[name].push(diagnostics.getItem(i).Message);
}
process.stdout.write(JSON.stringify(out));
