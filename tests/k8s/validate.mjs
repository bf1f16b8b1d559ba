// Validate portleak's Kubernetes manifests offline: every document against
// the API schema of its kind (kubernetes-models, the Prometheus Operator's
// models), then what portleak's own README promises of them: no privileged
// container, a read-only root, only the capabilities it names, probes on
// /healthz, scrape annotations, the image of this version. Exit 1 with one
// line per problem.
//   node tests/k8s/validate.mjs VERSION FILE...
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "apps/v1/DaemonSet": DaemonSet,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};
const CAPS = ["BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE"];
const [version, ...files] = process.argv.slice(2);
const problems = [];
const kinds = {};

function checkDaemonSet(where, ds) {
  const pod = ds.spec.template.spec;
  const ann = ds.spec.template.metadata.annotations || {};
  if (!pod.hostPID) problems.push(`${where}: hostPID must be true (owners of every socket)`);
  if (ann["prometheus.io/scrape"] !== "true" || ann["prometheus.io/port"] !== "9530")
    problems.push(`${where}: no Prometheus scrape annotations for port 9530`);
  for (const c of pod.containers) {
    const sc = c.securityContext || {};
    const add = ((sc.capabilities || {}).add || []).slice().sort();
    if (sc.privileged) problems.push(`${where}: ${c.name} is privileged`);
    if (!sc.readOnlyRootFilesystem) problems.push(`${where}: ${c.name} has a writable root`);
    if (JSON.stringify(((sc.capabilities || {}).drop || [])) !== '["ALL"]')
      problems.push(`${where}: ${c.name} does not drop ALL capabilities`);
    if (JSON.stringify(add) !== JSON.stringify(CAPS.slice().sort()))
      problems.push(`${where}: ${c.name} adds ${add.join(",")}, not ${CAPS.join(",")}`);
    for (const probe of ["livenessProbe", "readinessProbe"])
      if (!c[probe] || !c[probe].httpGet || c[probe].httpGet.path !== "/healthz")
        problems.push(`${where}: ${c.name} has no ${probe} on /healthz`);
    if (!c.resources || !c.resources.requests || !c.resources.limits)
      problems.push(`${where}: ${c.name} has no resource requests and limits`);
    if (c.image !== `portleak:${version}`)
      problems.push(`${where}: ${c.name} runs ${c.image}, not portleak:${version}`);
    for (const m of c.volumeMounts || [])
      if (!m.readOnly) problems.push(`${where}: ${c.name} mounts ${m.mountPath} writable`);
  }
}

for (const file of files) {
  parseAllDocuments(readFileSync(file, "utf8")).forEach((doc, i) => {
    const where = `${file}: document ${i + 1}`;
    if (doc.errors.length) {
      problems.push(`${where}: ${doc.errors[0].message}`);
      return;
    }
    const obj = doc.toJS();
    const key = `${obj.apiVersion}/${obj.kind}`;
    const Model = models[key];
    if (!Model) {
      problems.push(`${where}: no schema for ${key}`);
      return;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${where} (${obj.kind} ${obj.metadata && obj.metadata.name}): ${e.message.split("\n")[0]}`);
      return;
    }
    kinds[obj.kind] = (kinds[obj.kind] || 0) + 1;
    if (obj.kind === "DaemonSet") checkDaemonSet(where, obj);
  });
}
for (const k of ["DaemonSet", "ServiceMonitor", "Service"])
  if (!kinds[k]) problems.push(`no ${k} in ${files.join(" ")}`);
for (const p of problems) console.log(`k8s: ${p}`);
console.log(`k8s: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")}: ` +
  (problems.length ? `${problems.length} problems` : "valid"));
process.exit(problems.length ? 1 : 0);
