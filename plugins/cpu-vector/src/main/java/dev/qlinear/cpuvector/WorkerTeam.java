package dev.qlinear.cpuvector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * A fixed team of daemon threads that, with the calling thread, runs the numbered units of one task at a time. Units
 * are claimed from a shared counter, so which thread runs a unit varies; results must therefore depend on the unit
 * alone, which the kernels guarantee by computing every output element inside one unit in a fixed order. A run
 * allocates nothing: workers spin briefly, then park, between runs. Runs from several threads take turns.
 */
final class WorkerTeam {

    /** Work split into units {@code [0, units)}; {@code worker} is in {@code [0, size())} and names per-thread scratch. */
    interface Task {
        void run(int unit, int worker);
    }

    static final String THREADS_PROPERTY = "qlinear.cpu-vector.threads";

    private static final int SPINS = 1 << 11;

    private final int size;
    private final Thread[] workers;
    private final ReentrantLock turn = new ReentrantLock();
    private final AtomicInteger nextUnit = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile Task task;
    private volatile int units;
    private volatile Thread caller;

    /** A team of {@code size} threads in all: the caller and {@code size - 1} workers. */
    WorkerTeam(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a worker team needs at least 1 thread, got " + size);
        }
        this.size = size;
        this.workers = new Thread[size - 1];
        for (int index = 0; index < workers.length; index++) {
            int worker = index + 1;
            Thread thread = new Thread(() -> work(worker), "qlinear-cpu-vector-" + worker);
            thread.setDaemon(true);
            thread.setContextClassLoader(WorkerTeam.class.getClassLoader());
            workers[index] = thread;
            thread.start();
        }
    }

    /** The team of the plugin: as many threads as processors, or the system property {@value #THREADS_PROPERTY}. */
    static WorkerTeam shared() {
        return Shared.TEAM;
    }

    int size() {
        return size;
    }

    /** Runs {@code task} on units {@code [0, units)} and returns when all are done, rethrowing the first failure. */
    void run(Task task, int units) {
        requireNonNull(task, "task is null");
        if (units < 1) {
            return;
        }
        turn.lock();
        try {
            if (units == 1 || workers.length == 0) {
                for (int unit = 0; unit < units; unit++) {
                    task.run(unit, 0);
                }
                return;
            }
            this.task = task;
            this.units = units;
            this.caller = Thread.currentThread();
            failure.set(null);
            nextUnit.set(0);
            running.set(workers.length);
            generation++;
            for (Thread worker : workers) {
                LockSupport.unpark(worker);
            }
            try {
                drain(task, units, 0);
            }
            catch (Throwable thrown) {
                failure.compareAndSet(null, thrown);
            }
            // Always wait: a worker still running would otherwise count into the next run.
            awaitWorkers();
            this.task = null;
            Throwable thrown = failure.getAndSet(null);
            if (thrown instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (thrown instanceof Error error) {
                throw error;
            }
            if (thrown != null) {
                throw new IllegalStateException("a cpu-vector worker failed", thrown);
            }
        }
        finally {
            turn.unlock();
        }
    }

    private void drain(Task task, int units, int worker) {
        for (int unit = nextUnit.getAndIncrement(); unit < units; unit = nextUnit.getAndIncrement()) {
            task.run(unit, worker);
        }
    }

    private void awaitWorkers() {
        int spins = 0;
        while (running.get() != 0) {
            if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            }
            else {
                LockSupport.park(this);
            }
        }
    }

    private void work(int worker) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long current;
            while ((current = generation) == seen) {
                if (spins < SPINS) {
                    spins++;
                    Thread.onSpinWait();
                }
                else {
                    LockSupport.park(this);
                }
            }
            seen = current;
            try {
                drain(task, units, worker);
            }
            catch (Throwable thrown) {
                failure.compareAndSet(null, thrown);
                // The other threads still drain the counter; stop this one taking more units.
            }
            if (running.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    private static final class Shared {
        static final WorkerTeam TEAM = new WorkerTeam(threads());

        private static int threads() {
            int processors = Runtime.getRuntime().availableProcessors();
            Integer configured = Integer.getInteger(THREADS_PROPERTY);
            if (configured == null) {
                return processors;
            }
            if (configured < 1) {
                throw new IllegalArgumentException(THREADS_PROPERTY + " must be at least 1, got " + configured);
            }
            return configured;
        }
    }
}
