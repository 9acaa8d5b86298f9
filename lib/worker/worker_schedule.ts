/**
 * A worker's view of its schedule while it runs: the working hours (`schedule.ts`), plus the server data behind
 * the overrides — its queues' tags and its own runtime properties — refetched at most every `refreshMs` (the
 * reference refetches once per polling round). The clock is injected (`now`), so tests move time by hand.
 *
 * It also notices the remote drain trigger: a tag `drain:<worker id>` on one of the worker's queues aborts
 * `drainSignal` (the worker finishes its running tasks, takes no new ones and exits); the tag is then removed
 * from the queue, so that a restarted worker does not drain again at once.
 *
 * Degrading: a server without runtime properties (a real open-source ClearML server answers 404) → one line, and
 * the `force` override is treated as absent from then on; a failed refresh keeps the last data (one warning per
 * outage).
 *
 * @module
 */

import type { ApiClient } from "../api/client.ts";
import { ApiError, isRetriable } from "../api/errors.ts";
import { RETRY } from "../api/retry_policy.ts";
import * as queuesApi from "../api/queues.ts";
import { getRuntimeProperties } from "../api/workers.ts";
import type { QueueRef } from "./queue_poller.ts";
import { decideQueue, FORCE_PROPERTY, parseForce, type QueueDecision, type WorkingHours } from "./schedule.ts";

/** The prefix of the remote drain tag: `drain:<worker id>`. */
export const DRAIN_TAG_PREFIX = "drain:";

/** The worker's `force` runtime property. */
export interface ForceOverride {
  value: "on" | "off";
  /** Epoch ms when it expires, `null` for never. */
  expiresAt: number | null;
}

/** Whether the worker pulls at all, and why not. */
export interface ScheduleState {
  /** True when at least one queue may be pulled from. */
  active: boolean;
  /** The reason of the first queue's decision (all queues inactive), or of the first active queue. */
  reason: string;
}

/** Options of `WorkerSchedule`. */
export interface WorkerScheduleOptions {
  client: ApiClient;
  workerId: string;
  queues: readonly QueueRef[];
  hours: WorkingHours | null;
  /** Minimum time between two fetches of queue tags and runtime properties. */
  refreshMs: number;
  /** The clock (epoch ms). @default Date.now */
  now?: () => number;
  say: (line: string) => void;
  /** Only read: no drain trigger, no tag removal (`daemon --status`). */
  readOnly?: boolean;
  /** Called when the worker pauses (also at the first evaluation) or resumes. */
  onChange?: (state: ScheduleState) => void;
}

/** The schedule of one running worker. */
export class WorkerSchedule {
  #o: WorkerScheduleOptions;
  #now: () => number;
  #tags = new Map<string, string[]>();
  #force: ForceOverride | null = null;
  #invalidForce: string | null = null;
  #propertiesSupported = true;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #failing = false;
  #state: ScheduleState | null = null;
  #drain = new AbortController();

  constructor(options: WorkerScheduleOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    for (const q of options.queues) this.#tags.set(q.id, q.tags ?? []);
  }

  /** Aborted once a `drain:<worker id>` tag was seen on one of the worker's queues. */
  get drainSignal(): AbortSignal {
    return this.#drain.signal;
  }

  /** The `force` runtime property in effect, if any. */
  get force(): ForceOverride | null {
    return this.#force;
  }

  /** False once the server said it has no runtime properties. */
  get propertiesSupported(): boolean {
    return this.#propertiesSupported;
  }

  /** The tags of a queue as last fetched. */
  tagsOf(queueId: string): string[] {
    return this.#tags.get(queueId) ?? [];
  }

  /** Fetch queue tags and runtime properties when the last fetch is older than `refreshMs` (or `force`). */
  async refresh(options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const now = this.#now();
    if (!options.force && now - this.#fetchedAt < this.#o.refreshMs) return;
    this.#fetchedAt = now;
    try {
      await this.#fetchTags(options.signal);
      await this.#fetchProperties(options.signal);
      if (this.#failing) this.#o.say("Schedule data (queue tags, runtime properties) can be read again");
      this.#failing = false;
    } catch (err) {
      if (options.signal?.aborted) return;
      if (!this.#failing) {
        this.#o.say(`Warning: cannot read queue tags or runtime properties, keeping the last ones: ${err}`);
      }
      this.#failing = true;
    }
  }

  async #fetchTags(signal?: AbortSignal): Promise<void> {
    const ids = this.#o.queues.map((q) => q.id);
    // Retry policy: none — the next refresh is the retry; meanwhile the last tags stay in force.
    const found = await queuesApi.getQueues(this.#o.client, ids, ["id", "tags"], { retry: RETRY.none, signal });
    for (const q of found) this.#tags.set(q.id, q.tags ?? []);
    if (this.#o.readOnly) return;
    const drainTag = `${DRAIN_TAG_PREFIX}${this.#o.workerId}`;
    for (const q of found) {
      if (!(q.tags ?? []).includes(drainTag) || this.#drain.signal.aborted) continue;
      const name = this.#o.queues.find((r) => r.id === q.id)?.name ?? q.id;
      this.#o.say(`Queue "${name}" is tagged "${drainTag}": draining (running tasks finish, no new task is taken)`);
      this.#drain.abort();
      const rest = (q.tags ?? []).filter((t) => t !== drainTag);
      // Retry policy: none — a tag left behind only drains a restarted worker again; it says so.
      await this.#o.client.call("queues.update", { queue: q.id, tags: rest }, { version: "2.4", retry: RETRY.none })
        .then(() => this.#tags.set(q.id, rest))
        .catch((err) => this.#o.say(`Warning: could not remove tag "${drainTag}" from queue "${name}": ${err}`));
    }
  }

  async #fetchProperties(signal?: AbortSignal): Promise<void> {
    if (!this.#propertiesSupported) return;
    let props;
    try {
      // Retry policy: none — the next refresh is the retry.
      props = await getRuntimeProperties(this.#o.client, this.#o.workerId, { retry: RETRY.none, signal });
    } catch (err) {
      if (err instanceof ApiError && !isRetriable(err)) {
        this.#propertiesSupported = false;
        this.#force = null;
        this.#o.say(
          `Note: the server has no worker runtime properties (${err.code}): the "${FORCE_PROPERTY}" override is off`,
        );
        return;
      }
      throw err;
    }
    const prop = props.find((p) => p.key === FORCE_PROPERTY);
    const value = prop ? parseForce(prop.value) : null;
    if (prop && value === null && this.#invalidForce !== prop.value) {
      this.#o.say(
        `Warning: invalid runtime_property '${FORCE_PROPERTY}: ${prop.value}' supported values are: 'on'/'off', ignoring`,
      );
    }
    this.#invalidForce = prop && value === null ? prop.value : null;
    const expiry = typeof prop?.expiry === "number" && prop.expiry > 0 ? this.#now() + prop.expiry * 1000 : null;
    this.#force = value ? { value, expiresAt: expiry } : null;
  }

  /** The decision for one queue now (from the last fetched data). */
  decide(queue: QueueRef): QueueDecision {
    const force = this.#force && (this.#force.expiresAt === null || this.#force.expiresAt > this.#now())
      ? this.#force.value
      : null;
    return decideQueue({ tags: this.tagsOf(queue.id), force, hours: this.#o.hours, at: new Date(this.#now()) });
  }

  /** Evaluate every queue; reports (`onChange`, one line) when the worker turns active or inactive. */
  update(): ScheduleState {
    const decisions = this.#o.queues.map((q) => this.decide(q));
    const active = decisions.find((d) => d.active);
    const state: ScheduleState = { active: Boolean(active), reason: (active ?? decisions[0])?.reason ?? "" };
    const previous = this.#state;
    this.#state = state;
    // The first evaluation reports only a pause: an active worker is the normal case, nothing to say.
    if (previous ? previous.active !== state.active : !state.active) {
      if (!state.active) this.#o.say(`Worker "${this.#o.workerId}" paused, pulling no task: ${state.reason}`);
      else this.#o.say(`Worker "${this.#o.workerId}" resumed pulling tasks: ${state.reason}`);
      this.#o.onChange?.(state);
    }
    return state;
  }
}
