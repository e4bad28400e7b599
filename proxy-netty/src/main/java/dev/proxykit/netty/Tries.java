package dev.proxykit.netty;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.health.RetryBudget;
import dev.proxykit.netty.http1.BodyKind;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.RequestHead;
import dev.proxykit.runtime.config.RetrySettings;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The upstream attempts of one exchange (nginx calls them tries): which upstream each one went to and through
 * which picker, whether the request may go to another upstream, and the request body kept to send it again.
 *
 * <p><b>Accounting.</b> The first attempt's upstream comes from the route's picker and is handed back to its
 * {@link UpstreamSelector.Picker#onComplete(Upstream)} exactly once, when that attempt ends ({@link #end}); retries
 * go to untried live upstreams without the picker (see {@link #retry}). Every attempt that ends reports its
 * {@link UpstreamSet.Outcome} to the route's passive health exactly once.
 *
 * <p><b>Replay.</b> When the request may be retried after it was sent (idempotent, upstream-failure retries on, more
 * than one upstream), every piece of its body is also kept here as a retained duplicate (same memory, no copy) up to
 * {@code retries.replay-buffer} bytes; past that, everything kept is released and the request is no longer retried
 * once sent. The exchange releases what is kept by calling {@link #release()} when it ends.
 *
 * <p>Confined to the exchange's event loop; plain fields.
 */
final class Tries {

    private final UpstreamSet set;
    private final RetrySettings settings;
    private final boolean idempotent;
    /** The first upstream tried; the later ones are in {@link #retried}, made at the first retry (most take none). */
    private UpstreamTarget firstTried;
    private List<UpstreamTarget> retried;
    private ArrayDeque<Object> replay;
    private long replayBytes;
    private boolean replayable;

    /** The open attempt: its target, and the picker and pick behind it (both null for a choice without a pick). */
    private UpstreamTarget current;
    private UpstreamSelector.Picker picker;
    private Upstream picked;

    Tries(UpstreamSet set, RequestHead head) {
        this.set = set;
        this.settings = set.retries();
        this.idempotent = isIdempotent(head);
        boolean fits = head.bodyKind() == BodyKind.NONE || head.bodyKind() == BodyKind.CHUNKED
                || head.bodyKind() == BodyKind.LENGTH && head.contentLength() <= settings.replayBuffer();
        // kept for either kind of retry after sending: an upstream failure, or a status in on-statuses
        boolean retriesAfterSend = settings.onUpstreamFailure() || !settings.onStatuses().isEmpty();
        this.replayable = settings.attempts() > 1 && retriesAfterSend && idempotent && set.size() > 1 && fits;
        if (replayable) {
            replay = new ArrayDeque<>(4);
        }
    }

    /**
     * RFC 9110 section 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE; or any request carrying an
     * {@code Idempotency-Key} (IETF draft) or {@code X-Idempotency-Key} header.
     */
    static boolean isIdempotent(RequestHead head) {
        switch (head.method()) {
            case "GET":
            case "HEAD":
            case "OPTIONS":
            case "TRACE":
            case "PUT":
            case "DELETE":
                return true;
            default:
                return head.headers().contains("Idempotency-Key") || head.headers().contains("X-Idempotency-Key");
        }
    }

    // ------------------------------------------------------------------------------------------ picking

    /**
     * Picks the upstream of the first attempt and counts the request in the retry budget.
     *
     * @return the target, or {@code null} when the picker has none (no live upstream)
     * @throws RuntimeException when the picker throws, or returns an upstream the route does not have
     */
    UpstreamTarget first(RequestInfo request) {
        RetryBudget budget = set.budget();
        if (budget != null) {
            budget.onRequest();
        }
        UpstreamSelector.Picker p = set.snapshot().picker();
        Upstream u = p.pick(request);
        if (u == null) {
            return null;
        }
        UpstreamTarget t = set.target(u);
        if (t == null) {
            PluginCalls.complete(p, u);
            throw new IllegalStateException("the selector returned " + u + ", which is not an upstream of "
                    + set);
        }
        open(t, p, u);
        return t;
    }

    /**
     * Whether another attempt is allowed after an upstream failure: attempts left and, for a failure after the
     * request was (perhaps partly) sent, on-upstream-failure on and an idempotent request whose body is still fully
     * kept. Does not consult the budget.
     *
     * @param afterSend whether the failure happened after the request started going upstream
     */
    boolean mayRetry(boolean afterSend) {
        return attemptsLeft() && (!afterSend || replayable && settings.onUpstreamFailure());
    }

    /**
     * Whether an answer with {@code status} should be retried (configured statuses, idempotent requests with their
     * body kept only), whether or not upstream failures are retried too.
     */
    boolean retriesStatus(int status) {
        return settings.onStatuses().contains(status) && attemptsLeft() && replayable;
    }

    private boolean attemptsLeft() {
        return current != null && triedCount() < settings.attempts();
    }

    /**
     * Chooses the upstream of the next attempt, an untried live one from a random offset; takes a retry from the
     * budget; then ends the open attempt with {@code outcome} and opens the next. When there is no next attempt,
     * nothing changes.
     *
     * <p>The selector is not asked: a retry is not a request of its own, and a pick would move state the selector
     * shares with first attempts. Round-robin's rotation, say: with one dead upstream of two, each failed request
     * took two positions (the dead one, then the retry's), so every first attempt met the dead upstream, and once
     * the budget ran out every request failed.
     *
     * @return the next target, or {@code null} when no other live upstream is left or the budget is spent
     */
    UpstreamTarget retry(UpstreamSet.Outcome outcome) {
        UpstreamTarget[] live = set.snapshot().live();
        UpstreamTarget next = null;
        int start = live.length == 0 ? 0 : ThreadLocalRandom.current().nextInt(live.length);
        for (int i = 0; i < live.length && next == null; i++) {
            UpstreamTarget t = live[(start + i) % live.length];
            if (!wasTried(t)) {
                next = t;
            }
        }
        if (next == null) {
            return null;
        }
        RetryBudget budget = set.budget();
        if (budget != null && !budget.tryRetry()) {
            return null;
        }
        end(outcome);
        open(next, null, null);
        return next;
    }

    private void open(UpstreamTarget t, UpstreamSelector.Picker p, Upstream u) {
        current = t;
        picker = p;
        picked = u;
        if (firstTried == null) {
            firstTried = t;
        } else {
            if (retried == null) {
                retried = new ArrayList<>(2);
            }
            retried.add(t);
        }
    }

    private int triedCount() {
        return firstTried == null ? 0 : 1 + (retried == null ? 0 : retried.size());
    }

    private boolean wasTried(UpstreamTarget t) {
        return t.equals(firstTried) || retried != null && retried.contains(t);
    }

    /**
     * Ends the open attempt, if any: reports {@code outcome} to passive health and hands the pick back to its
     * picker. Idempotent.
     */
    void end(UpstreamSet.Outcome outcome) {
        UpstreamTarget t = current;
        if (t == null) {
            return;
        }
        current = null;
        if (picker != null) {
            UpstreamSelector.Picker p = picker;
            Upstream u = picked;
            picker = null;
            picked = null;
            PluginCalls.complete(p, u);
        }
        set.attemptEnded(t, outcome);
    }

    /** Every upstream tried, in order, as {@code host:port}. */
    List<String> tried() {
        if (firstTried == null) {
            return List.of();
        }
        if (retried == null) {
            return List.of(firstTried.upstream.address());
        }
        List<String> addresses = new ArrayList<>(1 + retried.size());
        addresses.add(firstTried.upstream.address());
        for (UpstreamTarget t : retried) {
            addresses.add(t.upstream.address());
        }
        return addresses;
    }

    /** Whether {@code status} counts as a failure of the upstream that answered it. */
    boolean isFailureStatus(int status) {
        return set.isFailureStatus(status);
    }

    // -------------------------------------------------------------------------------------------- replay

    /** Keeps a duplicate of a piece of the request body (the caller still owns and passes on {@code content}). */
    void keep(ByteBuf content) {
        if (replay == null) {
            return;
        }
        replayBytes += content.readableBytes();
        if (replayBytes > settings.replayBuffer()) {
            release();
            return;
        }
        replay.add(content.retainedDuplicate()); // a second owner: released by release() or by whoever gets a copy
    }

    /** Keeps the end of the request body. */
    void keepEnd(LastChunk last) {
        if (replay != null) {
            replay.add(last);
        }
    }

    /**
     * What to send again after the head on the next attempt: duplicates of everything kept, owned by the caller
     * (write them or release them).
     */
    ArrayDeque<Object> replay() {
        ArrayDeque<Object> copy = new ArrayDeque<>(replay == null ? 1 : replay.size() + 1);
        if (replay != null) {
            for (Object o : replay) {
                copy.add(o instanceof ByteBuf ? ((ByteBuf) o).retainedDuplicate() : o);
            }
        }
        return copy;
    }

    /** Releases everything kept; from now on the request is not retried once sent. Idempotent. */
    void release() {
        replayable = false;
        if (replay != null) {
            Object o;
            while ((o = replay.poll()) != null) {
                if (o instanceof ByteBuf) {
                    ((ByteBuf) o).release();
                }
            }
            replay = null;
        }
    }
}
