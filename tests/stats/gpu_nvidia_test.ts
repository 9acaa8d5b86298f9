import assert from "node:assert/strict";
import {
  filterVisible,
  gpuReadings,
  parseNvidiaSmiList,
  parseNvidiaSmiXml,
  parseVisibleDevices,
} from "../../lib/stats/gpu_nvidia.ts";
import { normalizeCudaVersion } from "../../lib/stats/cuda_version.ts";
import { fixtureFiles, fixturePath } from "./_fixtures.ts";

/** Values read by hand from each capture (not computed by the parser under test). */
interface Expected {
  driver: string | null;
  cuda: string | null;
  cudaNorm: string;
  uuid: string;
  name: string;
  pci: string;
  util: number | null;
  used: number;
  total: number;
  temp: number;
  power: number | null;
  limit: number | null;
  fan: number | null;
  procs: [number, string, number][];
}

const EXPECTED: Record<string, Expected> = {
  "a100-sxm4-v12.xml": {
    driver: "535.54.03",
    cuda: "12.2",
    cudaNorm: "122",
    uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
    name: "NVIDIA A100-SXM4-80GB",
    pci: "00000000:01:00.0",
    util: null,
    used: 50,
    total: 81920,
    temp: 27,
    power: 67.03,
    limit: 500,
    fan: null,
    procs: [],
  },
  "a10g.xml": {
    driver: "515.105.01",
    cuda: "11.7",
    cudaNorm: "117",
    uuid: "GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94",
    name: "NVIDIA A10G",
    pci: "00000000:00:1E.0",
    util: 0,
    used: 22,
    total: 23028,
    temp: 17,
    power: 25.58,
    limit: 300,
    fan: 0,
    procs: [[725, "G", 22]],
  },
  "gtx-1070-ti.xml": {
    driver: null,
    cuda: null,
    cudaNorm: "0",
    uuid: "GPU-f9ba66fc-a7f5-94c5-da19-019ef2f9c665",
    name: "GeForce GTX 1070 Ti",
    pci: "00000000:01:00.0",
    util: 0,
    used: 42,
    total: 4096,
    temp: 39,
    power: null,
    limit: null,
    fan: 100,
    procs: [],
  },
  "gtx-1660-ti.xml": {
    driver: "418.43",
    cuda: "10.1",
    cudaNorm: "101",
    uuid: "GPU-304a277d-3545-63b8-3a36-dfde3c992989",
    name: "Graphics Device",
    pci: "00000000:43:00.0",
    util: 0,
    used: 0,
    total: 5912,
    temp: 40,
    power: 8.93,
    limit: 130,
    fan: 0,
    procs: [],
  },
  "quadro-p2000-v12.xml": {
    driver: "525.125.06",
    cuda: "12.0",
    cudaNorm: "120",
    uuid: "GPU-396caaed-39ca-3199-2e68-717cdb786ec6",
    name: "Quadro P2000",
    pci: "00000000:17:00.0",
    util: 0,
    used: 1,
    total: 5120,
    temp: 34,
    power: 4.61,
    limit: 75,
    fan: 46,
    procs: [],
  },
  "quadro-p400.xml": {
    driver: "418.43",
    cuda: "10.1",
    cudaNorm: "101",
    uuid: "GPU-8f750be4-dfbc-23b9-b33f-da729a536494",
    name: "Quadro P400",
    pci: "00000000:43:00.0",
    util: 0,
    used: 0,
    total: 1998,
    temp: 33,
    power: null,
    limit: null,
    fan: 34,
    procs: [],
  },
  "rtx-3060-v12.xml": {
    driver: "570.124.04",
    cuda: "12.8",
    cudaNorm: "128",
    uuid: "GPU-d6889ff6-2523-9142-ca3c-1ca3f396a625",
    name: "NVIDIA GeForce RTX 3060",
    pci: "00000000:2D:00.0",
    util: 0,
    used: 116,
    total: 12288,
    temp: 42,
    power: 11.63,
    limit: 170,
    fan: 0,
    procs: [],
  },
  "rtx-3080-v12.xml": {
    driver: "536.40",
    cuda: "12.2",
    cudaNorm: "122",
    uuid: "GPU-19d6d965-2acc-f646-00f8-4c76979aabb4",
    name: "NVIDIA GeForce RTX 3080",
    pci: "00000000:04:00.0",
    util: 0,
    used: 1128,
    total: 10240,
    temp: 31,
    power: 22.78,
    limit: 336,
    fan: 0,
    procs: [[835, "G", 550], [1481, "G", 18], [2214, "G", 79], [4044, "G", 541], [42416, "G", 159]],
  },
  "rtx-3080-v13.xml": {
    driver: "595.58.03",
    cuda: "13.2",
    cudaNorm: "132",
    uuid: "GPU-19d6d965-2acc-f646-00f8-4c76979aabb4",
    name: "NVIDIA GeForce RTX 3080",
    pci: "00000000:0C:00.0",
    util: 65,
    used: 9184,
    total: 10240,
    temp: 27,
    power: 142.33,
    limit: 320,
    fan: 0,
    procs: [],
  },
  "rtx-3090-v12.xml": {
    driver: "525.147.05",
    cuda: "12.0",
    cudaNorm: "120",
    uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
    name: "NVIDIA GeForce RTX 3090",
    pci: "00000000:00:10.0",
    util: 0,
    used: 1,
    total: 24576,
    temp: 37,
    power: 27.23,
    limit: 200,
    fan: 0,
    procs: [],
  },
  "rtx-4000-sff-ada-v13.xml": {
    driver: "595.84",
    cuda: "13.2",
    cudaNorm: "132",
    uuid: "GPU-37037c3f-65c8-ec4d-24a9-420204ad8026",
    name: "NVIDIA RTX 4000 SFF Ada Generation",
    pci: "00000000:06:00.0",
    util: 0,
    used: 3534,
    total: 20475,
    temp: 38,
    power: 8.44,
    limit: 70,
    fan: 30,
    procs: [[1842, "G", 410], [3190, "G", 451], [4937, "C", 160], [34626, "C+G", 183]],
  },
  "tesla-t4.xml": {
    driver: "515.105.01",
    cuda: "11.7",
    cudaNorm: "117",
    uuid: "GPU-d37e67a5-91dd-3774-a5cb-99096249601a",
    name: "Tesla T4",
    pci: "00000000:00:1E.0",
    util: 0,
    used: 1032,
    total: 15360,
    temp: 40,
    power: 26.78,
    limit: 70,
    fan: null,
    procs: [[675, "G", 22], [5762, "C", 1005]],
  },
};

function read(name: string): string {
  return Deno.readTextFileSync(fixturePath(`nvidia-smi/${name}`));
}

Deno.test("every nvidia-smi capture in shared/fixtures has a row of hand-read expected values", () => {
  const files = fixtureFiles("nvidia-smi", ".xml");
  assert.equal(files.length, 12);
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const [file, want] of Object.entries(EXPECTED)) {
  Deno.test(`parseNvidiaSmiXml() reads ${file}`, () => {
    const report = parseNvidiaSmiXml(read(file));
    assert.equal(report.driverVersion, want.driver);
    assert.equal(report.cudaVersion, want.cuda);
    assert.equal(normalizeCudaVersion(report.cudaVersion), want.cudaNorm);
    assert.equal(report.gpus.length, 1);
    const g = report.gpus[0];
    assert.deepEqual(
      [g.index, g.uuid, g.name, g.pciBusId, g.utilization, g.memoryUsedMiB, g.memoryTotalMiB, g.temperature],
      [0, want.uuid, want.name, want.pci, want.util, want.used, want.total, want.temp],
    );
    assert.deepEqual([g.powerDrawW, g.powerLimitW, g.fanSpeed], [want.power, want.limit, want.fan]);
    assert.deepEqual(g.processes.map((p) => [p.pid, p.type, p.usedMemoryMiB]), want.procs);
    assert.equal(g.migEnabled, file === "a100-sxm4-v12.xml");
  });
}

Deno.test("parseNvidiaSmiXml() reads the four MIG devices of the A100 capture", () => {
  const [g] = parseNvidiaSmiXml(read("a100-sxm4-v12.xml")).gpus;
  assert.deepEqual(
    g.migDevices.map((m) => [m.migIndex, m.gpuInstanceId, m.computeInstanceId, m.memoryUsedMiB, m.memoryTotalMiB]),
    [[0, 3, 0, 12, 19968], [1, 4, 0, 12, 19968], [2, 5, 0, 12, 19968], [3, 6, 0, 12, 19968]],
  );
  assert.ok(g.migDevices.every((m) => m.uuid === null), "this driver's XML has no MIG UUIDs");
});

Deno.test("gpuReadings() reports MIG devices as entries with the parent's index and default utilization", () => {
  const readings = gpuReadings(parseNvidiaSmiXml(read("a100-sxm4-v12.xml")), {
    migUuids: new Map([["0:2", "MIG-aaaa"]]),
  });
  assert.deepEqual(
    readings.map((
      r,
    ) => [r.index, r.migIndex, r.migUuid, r.utilization, r.memoryUsedMiB, r.memoryTotalMiB, r.temperature]),
    [
      [0, 0, null, 100, 12, 19968, 27],
      [0, 1, null, 100, 12, 19968, 27],
      [0, 2, "MIG-aaaa", 100, 12, 19968, 27],
      [0, 3, null, 100, 12, 19968, 27],
    ],
  );
  assert.ok(readings.every((r) => r.uuid === "GPU-513536b6-7d19-9063-b049-1e69664bb298"));
  const custom = gpuReadings(parseNvidiaSmiXml(read("a100-sxm4-v12.xml")), { defaultUtilization: 7 });
  assert.ok(custom.every((r) => r.utilization === 7));
});

/** Two captures joined into one two-GPU document (index = position). */
function twoGpuXml(): string {
  const gpuOf = (name: string) => /<gpu id[\s\S]*<\/gpu>/.exec(read(name))![0];
  return `<?xml version="1.0" ?>\n<nvidia_smi_log>\n<cuda_version>12.2</cuda_version>\n${gpuOf("tesla-t4.xml")}\n${
    gpuOf("rtx-3080-v13.xml")
  }\n</nvidia_smi_log>\n`;
}

Deno.test("filterVisible() selects GPUs by index, UUID, MIG slice or MIG UUID as NVIDIA_VISIBLE_DEVICES does", () => {
  const two = gpuReadings(parseNvidiaSmiXml(twoGpuXml()));
  assert.deepEqual(two.map((r) => [r.index, r.name, r.utilization]), [[0, "Tesla T4", 0], [
    1,
    "NVIDIA GeForce RTX 3080",
    65,
  ]]);
  const names = (visible: string | undefined) => filterVisible(two, visible).map((r) => r.index);
  const cases: [string | undefined, number[]][] = [
    [undefined, [0, 1]],
    ["", [0, 1]],
    ["all", [0, 1]],
    ["none", []],
    ["void", []],
    ["1", [1]],
    ["0, 1", [0, 1]],
    ["GPU-19d6d965-2acc-f646-00f8-4c76979aabb4", [1]],
    ["GPU-nope", []],
    ["7", []],
  ];
  for (const [visible, want] of cases) assert.deepEqual(names(visible), want, String(visible));

  const mig = gpuReadings(parseNvidiaSmiXml(read("a100-sxm4-v12.xml")), { migUuids: new Map([["0:1", "MIG-bbbb"]]) });
  const migCases: [string, (number | null)[]][] = [
    ["0", [0, 1, 2, 3]],
    ["0:2", [2]],
    ["0.3", [3]],
    ["MIG-bbbb", [1]],
    ["GPU-513536b6-7d19-9063-b049-1e69664bb298", [0, 1, 2, 3]],
  ];
  for (const [visible, want] of migCases) {
    assert.deepEqual(filterVisible(mig, visible).map((r) => r.migIndex), want, visible);
  }
  assert.deepEqual(parseVisibleDevices(" VOID "), "none");
});

Deno.test("parseNvidiaSmiList() maps MIG device UUIDs to gpu:mig indices", () => {
  const text = [
    "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)",
    "  MIG 1g.20gb     Device  0: (UUID: MIG-11111111-2222-3333-4444-555555555555)",
    "  MIG 1g.20gb     Device  1: (UUID: MIG-66666666-2222-3333-4444-555555555555)",
    "GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-00000000-7d19-9063-b049-1e69664bb298)",
    "  MIG 3g.40gb     Device  0: (UUID: MIG-77777777-2222-3333-4444-555555555555)",
  ].join("\n");
  assert.deepEqual([...parseNvidiaSmiList(text)], [
    ["0:0", "MIG-11111111-2222-3333-4444-555555555555"],
    ["0:1", "MIG-66666666-2222-3333-4444-555555555555"],
    ["1:0", "MIG-77777777-2222-3333-4444-555555555555"],
  ]);
});

Deno.test("parseNvidiaSmiXml() rejects garbage with a SyntaxError", () => {
  for (const bad of ["", "NVIDIA-SMI has failed", "<nvidia_smi_log><gpu></nvidia_smi_log>", "<html></html>"]) {
    assert.throws(() => parseNvidiaSmiXml(bad), SyntaxError, JSON.stringify(bad));
  }
});

Deno.test("normalizeCudaVersion() follows the reference's digit form", () => {
  const cases: [string | number | null, string][] = [
    ["12.2", "122"],
    ["11.8", "118"],
    ["10.0.130", "100"],
    ["9.2", "92"],
    ["12020", "122"],
    [12020, "122"],
    ["11000", "110"],
    ["11080", "118"],
    ["9020", "92"],
    ["122", "122"],
    ["0", "0"],
    ["", "0"],
    [null, "0"],
    ["garbage", "0"],
  ];
  for (const [input, want] of cases) assert.equal(normalizeCudaVersion(input), want, String(input));
});
