//! The window's simulation state: the runs on screen, the animation clock and the shown
//! iteration. No egui in here, so tests step it deterministically.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::jobs::{Job, Runner};
use crate::engine::regression::{BatchSpec, Dataset};
use crate::engine::{EngineError, Objective, OptimizerConfig, Run, RunSpec, StopReason};

/// How fast the animation plays.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Speed {
    /// Iterations per second, 1 to 1,000.
    PerSecond(f64),
    /// Show the end at once (computed over several frames if it is long).
    Instant,
}

impl Default for Speed {
    fn default() -> Self {
        Self::PerSecond(10.0)
    }
}

/// What one run on screen is: its start and optimizer. Saved with the app's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSetup {
    /// The start point.
    pub start: Vec<f64>,
    /// The optimizer and its hyperparameters.
    pub optimizer: OptimizerConfig,
    /// Index into the run palette (a hand-written scenario may leave it out).
    #[serde(default)]
    pub color: usize,
    /// In the regression lab: points per step (`None`: all of them, batch descent).
    #[serde(default)]
    pub batch: Option<usize>,
}

/// One run on screen: its setup and the engine run stepping it.
#[derive(Clone, Debug)]
pub struct RunSlot {
    /// What the run is.
    pub setup: RunSetup,
    /// The engine's run, computed up to the shown iteration (or further, for a preview).
    pub run: Run,
    /// The Hessian's extreme eigenvalues at the start, for the hint after a divergence.
    pub curvature_at_start: Curvature,
    /// A number no other run of this simulation had: views key their caches by it.
    pub generation: u64,
}

impl RunSlot {
    /// The iterate shown at global iteration `shown`: the run's own last one if it stopped
    /// earlier.
    pub fn shown_index(&self, shown: usize) -> usize {
        shown.min(self.run.iterations())
    }

    /// The stop reason once the shown iteration has reached it.
    pub fn shown_stop(&self, shown: usize) -> Option<StopReason> {
        let reason = self.run.stop_reason()?;
        (shown >= self.run.iterations()).then_some(reason)
    }

    /// The stability bound 2/L on the learning rate, where the largest curvature L at the
    /// start is positive and finite.
    pub fn stable_lr_bound(&self) -> Option<f64> {
        match self.curvature_at_start {
            Curvature::Bounded { largest, .. } if largest > 0.0 => Some(2.0 / largest),
            _ => None,
        }
    }
}

/// The curvature of f at a point: the extreme eigenvalues of its Hessian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Curvature {
    /// Every entry of the Hessian is finite.
    Bounded {
        /// The largest eigenvalue.
        largest: f64,
        /// The smallest eigenvalue (negative on a saddle).
        smallest: f64,
    },
    /// An entry of the Hessian overflowed or is not a number.
    Overflow,
}

impl Curvature {
    /// The curvature of `objective` at `p`.
    pub fn at(objective: &dyn Objective, p: &[f64]) -> Self {
        let hessian = objective.second_order(p).hessian;
        if hessian.iter().any(|v| !v.is_finite()) {
            return Self::Overflow;
        }
        let eigenvalues = hessian.symmetric_eigen().eigenvalues;
        let largest = eigenvalues
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let smallest = eigenvalues.iter().copied().fold(f64::INFINITY, f64::min);
        if largest.is_finite() && smallest.is_finite() {
            Self::Bounded { largest, smallest }
        } else {
            Self::Overflow
        }
    }
}

/// The most iterates a run on screen keeps of its path; beyond it every other is dropped
/// (the last stays exact), so a long run's memory stays bounded.
pub const PATH_CAP: usize = 1 << 15;

/// The path cap of a run made when `runs` runs exist: [`PATH_CAP`] for up to 32 runs, then
/// less (down to 512 iterates), so a swarm of 1,000 runs stays within tens of megabytes.
pub fn path_cap(runs: usize) -> usize {
    if runs < 32 {
        PATH_CAP
    } else {
        (PATH_CAP * 32 / runs).max(512)
    }
}

/// Progress of the computation behind the shown iteration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Iterations computed, over all runs.
    pub done: u64,
    /// Iterations needed, over all runs.
    pub needed: u64,
}

impl Progress {
    /// Whether everything needed has been computed.
    pub fn is_complete(&self) -> bool {
        self.done >= self.needed
    }

    /// The fraction computed, in [0, 1].
    pub fn fraction(&self) -> f32 {
        if self.needed == 0 {
            1.0
        } else {
            (self.done as f64 / self.needed as f64).min(1.0) as f32
        }
    }
}

/// The runs, the animation clock and the shown iteration.
#[derive(Clone, Debug)]
pub struct Simulation {
    objective: Arc<dyn Objective>,
    slots: Vec<RunSlot>,
    /// Index of the selected run, whose settings the controls edit.
    pub selected: usize,
    /// Whether the animation is playing.
    pub playing: bool,
    /// The iteration shown in every view.
    shown: usize,
    /// The most iterations a run takes.
    max_iters: u64,
    /// Stop a run when |grad f| < tol (0 disables).
    tol: f64,
    /// Stop a run once its evaluations cost this many gradients: a race's equal budget.
    budget: Option<u64>,
    /// Animation speed.
    pub speed: Speed,
    /// While true, every run is computed to its end at once (a slider is being dragged).
    pub preview: bool,
    carry: f64,
    /// The regression lab's data and epochs, when runs are fits of a line.
    lab: Option<LabRuns>,
    /// Counts runs made, for [`RunSlot::generation`].
    runs_made: u64,
    /// Counts objectives set, so views can tell a new data set from the old one.
    objectives_set: u64,
    /// Where long computations run: worker threads in the window, inline (stepped within
    /// each frame's budget) in tests and scripts.
    pub runner: Runner,
    /// Runs being computed on worker threads, by slot generation.
    workers: Workers,
}

/// Runs computed on worker threads: each a copy of a slot's run stepped to a target, handed
/// back when done. Copies of a simulation start without workers.
#[derive(Default)]
struct Workers(Vec<Job<(u64, usize), Run>>);

impl Clone for Workers {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workers({} running)", self.0.len())
    }
}

/// A run that needs more than this many steps beyond what it has, in the window, is stepped
/// on a worker thread instead of within the frames' budget.
pub const WORKER_STEPS: usize = 256;

/// What runs in the regression lab share: the data, the shuffles' seed and the epochs.
/// Each run has its own batch size ([`RunSetup::batch`]), so batch, mini-batch and
/// stochastic descent can run side by side.
#[derive(Clone, Debug)]
pub struct LabRuns {
    /// The points fitted.
    pub data: Arc<Dataset>,
    /// Seed of every run's shuffles.
    pub seed: u64,
    /// Passes over the data each run makes.
    pub epochs: u64,
    /// Reshuffle every epoch (else take the points in their own order).
    pub shuffle: bool,
}

impl LabRuns {
    /// The batch spec of a run with `batch` points per step, `None` for batch descent.
    pub fn batch_spec(&self, batch: Option<usize>) -> Option<BatchSpec> {
        let n = self.data.len();
        batch.filter(|b| *b < n).map(|size| BatchSpec {
            size: size.max(1),
            seed: self.seed,
            shuffle: self.shuffle,
        })
    }

    /// Optimizer steps of such a run: epochs times steps per epoch.
    pub fn steps(&self, batch: Option<usize>) -> u64 {
        let per_epoch = self
            .batch_spec(batch)
            .map_or(1, |b| b.steps_per_epoch(self.data.len()));
        self.epochs.max(1).saturating_mul(per_epoch as u64)
    }
}

impl Simulation {
    /// An empty simulation on `objective`.
    pub fn new(objective: Arc<dyn Objective>, max_iters: u64, tol: f64) -> Self {
        Self {
            objective,
            slots: Vec::new(),
            selected: 0,
            playing: false,
            shown: 0,
            max_iters,
            tol,
            budget: None,
            speed: Speed::default(),
            preview: false,
            carry: 0.0,
            lab: None,
            runs_made: 0,
            objectives_set: 0,
            runner: Runner::Inline,
            workers: Workers::default(),
        }
    }

    /// Changes whenever the objective is replaced (even by one of the same name).
    pub fn objective_generation(&self) -> u64 {
        self.objectives_set
    }

    /// Makes runs built from now on fits of a line to the lab's data, each drawing its
    /// gradient from batches of its own size (`None`: runs of the objective itself). Rebuild
    /// or reset the runs to apply it.
    pub fn set_lab(&mut self, lab: Option<LabRuns>) {
        self.lab = lab;
    }

    /// The lab's shared settings, if runs are fits of a line.
    pub fn lab(&self) -> Option<&LabRuns> {
        self.lab.as_ref()
    }

    /// The most iterations any run takes (the scrubber's and the animation's end).
    pub fn budget(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.run.spec().max_iters)
            .max()
            .unwrap_or(self.max_iters)
    }

    /// The objective.
    pub fn objective(&self) -> &Arc<dyn Objective> {
        &self.objective
    }

    /// The runs.
    pub fn slots(&self) -> &[RunSlot] {
        &self.slots
    }

    /// The selected run, if any.
    pub fn selected_slot(&self) -> Option<&RunSlot> {
        self.slots.get(self.selected)
    }

    /// The iteration shown in every view.
    pub fn shown(&self) -> usize {
        self.shown
    }

    /// The iteration budget of every run.
    pub fn max_iters(&self) -> u64 {
        self.max_iters
    }

    /// The convergence tolerance.
    pub fn tol(&self) -> f64 {
        self.tol
    }

    /// The equal evaluation budget every run stops at, if any.
    pub fn equal_budget(&self) -> Option<u64> {
        self.budget
    }

    /// Sets the equal evaluation budget, rebuilding every run.
    pub fn set_equal_budget(&mut self, budget: Option<u64>) -> Result<(), EngineError> {
        if budget == self.budget {
            return Ok(());
        }
        let old = self.budget;
        self.budget = budget;
        if let Err(e) = self.rebuild() {
            self.budget = old;
            return Err(e);
        }
        Ok(())
    }

    /// The setups of all runs, for saving.
    pub fn setups(&self) -> Vec<RunSetup> {
        self.slots.iter().map(|s| s.setup.clone()).collect()
    }

    /// The largest iteration any run has computed.
    pub fn computed_end(&self) -> usize {
        self.slots
            .iter()
            .map(|s| s.run.iterations())
            .max()
            .unwrap_or(0)
    }

    /// The last iteration the scrubber can reach: the end of the longest finished run,
    /// or the iteration budget while a run can go on.
    pub fn timeline_end(&self) -> usize {
        self.slots
            .iter()
            .map(|s| {
                if s.run.is_finished() {
                    s.run.iterations()
                } else {
                    s.run.spec().max_iters as usize
                }
            })
            .max()
            .unwrap_or(0)
    }

    fn make_slot(&mut self, mut setup: RunSetup) -> Result<RunSlot, EngineError> {
        if let Some(lab) = &self.lab {
            // A batch of all points (or more) is batch descent; of none, one point.
            let n = lab.data.len();
            setup.batch = setup.batch.filter(|b| *b < n).map(|b| b.max(1));
        }
        let max_iters = match &self.lab {
            Some(lab) => lab
                .steps(setup.batch)
                .min(super::settings::MAX_UI_ITERATIONS),
            None => self.max_iters,
        };
        let spec = RunSpec {
            optimizer: setup.optimizer,
            start: setup.start.clone(),
            max_iters,
            tol: self.tol,
        };
        let batches = self
            .lab
            .as_ref()
            .and_then(|lab| Some((lab.data.clone(), lab.batch_spec(setup.batch)?)));
        let run = match batches {
            Some((data, batch)) => Run::with_batches(self.objective.clone(), spec, data, batch)?,
            None => Run::new(self.objective.clone(), spec)?,
        }
        .with_path_cap(path_cap(self.slots.len()))
        // The lab counts epochs, not evaluations: the race's budget is not for it.
        .with_budget(self.budget.filter(|_| self.lab.is_none()));
        let curvature_at_start = Curvature::at(self.objective.as_ref(), &setup.start);
        self.runs_made += 1;
        Ok(RunSlot {
            setup,
            run,
            curvature_at_start,
            generation: self.runs_made,
        })
    }

    /// Adds a run and selects it; the animation restarts from iteration 0.
    pub fn add_run(&mut self, setup: RunSetup) -> Result<(), EngineError> {
        let slot = self.make_slot(setup)?;
        self.slots.push(slot);
        self.selected = self.slots.len() - 1;
        self.restart();
        Ok(())
    }

    /// Replaces the selected run's setup (or adds one if there is none) and restarts.
    pub fn set_selected(&mut self, setup: RunSetup) -> Result<(), EngineError> {
        if self.slots.is_empty() {
            return self.add_run(setup);
        }
        let slot = self.make_slot(setup)?;
        let i = self.selected.min(self.slots.len() - 1);
        self.slots[i] = slot;
        self.restart();
        Ok(())
    }

    /// Removes run `i`.
    pub fn remove_run(&mut self, i: usize) {
        if i < self.slots.len() {
            self.slots.remove(i);
            // The same run stays selected; removing the selected one selects its successor.
            if i < self.selected {
                self.selected -= 1;
            }
            self.selected = self.selected.min(self.slots.len().saturating_sub(1));
        }
    }

    /// Removes every run.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.selected = 0;
        self.shown = 0;
        self.playing = false;
    }

    /// Changes the iteration budget and tolerance, rebuilding every run.
    pub fn set_limits(&mut self, max_iters: u64, tol: f64) -> Result<(), EngineError> {
        if (max_iters, tol) == (self.max_iters, self.tol) {
            return Ok(());
        }
        let (old_iters, old_tol) = (self.max_iters, self.tol);
        self.max_iters = max_iters;
        self.tol = tol;
        if let Err(e) = self.rebuild() {
            self.max_iters = old_iters;
            self.tol = old_tol;
            return Err(e);
        }
        Ok(())
    }

    /// Switches to another objective with the given runs; runs that do not fit it are
    /// dropped and their errors returned.
    pub fn set_objective(
        &mut self,
        objective: Arc<dyn Objective>,
        setups: Vec<RunSetup>,
    ) -> Vec<EngineError> {
        let (max_iters, tol) = (self.max_iters, self.tol);
        self.reset_with(objective, max_iters, tol, setups)
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    /// Switches objective, iteration budget and tolerance at once, with the given runs;
    /// runs that do not fit are dropped and returned with their errors. Budgets out of range are
    /// clamped to 1..=[`crate::engine::run::MAX_ITERATIONS`].
    pub fn reset_with(
        &mut self,
        objective: Arc<dyn Objective>,
        max_iters: u64,
        tol: f64,
        setups: Vec<RunSetup>,
    ) -> Vec<(RunSetup, EngineError)> {
        self.max_iters = max_iters.clamp(1, crate::engine::run::MAX_ITERATIONS);
        if tol.is_finite() && tol >= 0.0 {
            self.tol = tol;
        }
        self.objective = objective;
        self.objectives_set += 1;
        self.slots.clear();
        let mut errors = Vec::new();
        for setup in setups {
            match self.make_slot(setup.clone()) {
                Ok(slot) => self.slots.push(slot),
                Err(e) => errors.push((setup, e)),
            }
        }
        self.selected = 0;
        self.restart();
        errors
    }

    /// Rebuilds every run from its setup and restarts the animation.
    pub fn rebuild(&mut self) -> Result<(), EngineError> {
        let setups = self.setups();
        let slots = setups
            .into_iter()
            .map(|setup| self.make_slot(setup))
            .collect::<Result<Vec<_>, _>>()?;
        self.slots = slots;
        self.restart();
        Ok(())
    }

    /// Back to iteration 0 and playing; the computed paths stay (a replay).
    pub fn restart(&mut self) {
        self.shown = 0;
        self.carry = 0.0;
        self.playing = !self.slots.is_empty();
    }

    /// Toggles play and pause; playing from the end replays from the start.
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.playing = false;
        } else {
            if self.at_end() {
                self.shown = 0;
            }
            self.carry = 0.0;
            self.playing = !self.slots.is_empty();
        }
    }

    /// Pauses and shows one more iteration.
    pub fn step_once(&mut self) {
        self.playing = false;
        if !self.at_end() {
            self.shown += 1;
        }
    }

    /// Shows iteration `k` (the scrubber), pausing the animation.
    pub fn scrub_to(&mut self, k: usize) {
        self.playing = false;
        self.shown = k.min(self.timeline_end());
    }

    /// Whether every run has been shown to its end.
    pub fn at_end(&self) -> bool {
        self.slots
            .iter()
            .all(|s| s.run.is_finished() && self.shown >= s.run.iterations())
    }

    /// Advances the clock by `dt` seconds and computes what the views need, spending at most
    /// `budget` of wall time on optimizer steps. Returns the computation's progress.
    pub fn advance(&mut self, dt: f64, budget: Duration) -> Progress {
        if self.playing {
            match self.speed {
                Speed::Instant => self.shown = self.budget() as usize,
                Speed::PerSecond(rate) => {
                    self.carry += rate.clamp(0.0, 1e9) * dt.max(0.0);
                    let whole = self.carry.floor();
                    self.carry -= whole;
                    self.shown = self.shown.saturating_add(whole as usize);
                }
            }
            self.shown = self.shown.min(self.budget() as usize);
        }
        let progress = self.compute(budget);
        if self.playing && progress.is_complete() && self.at_end() {
            self.playing = false;
        }
        if self.at_end() {
            self.shown = self.shown.min(self.timeline_end());
        }
        progress
    }

    /// The iteration every run must be computed to.
    fn target(&self) -> usize {
        if self.preview {
            self.budget() as usize
        } else {
            self.shown
        }
    }

    /// Steps runs towards the target. In the window, a run that needs many steps is copied
    /// to a worker thread and handed back when it reaches the target, so no frame waits for
    /// it. Otherwise runs are stepped round-robin in chunks until done or out of time; the
    /// chunk starts at one step and grows while steps are cheap, and the clock is read after
    /// every chunk, so a frame stays within the budget even when single steps are expensive
    /// (a mini-batch of 500,000 points, a line search of 50 halvings).
    fn compute(&mut self, budget: Duration) -> Progress {
        let target = self.target();
        if self.runner == Runner::Background {
            self.collect_workers();
            self.start_workers(target);
        }
        let started = Instant::now();
        let mut chunk = 1usize;
        let working: Vec<u64> = self.workers.0.iter().map(|j| j.key().0).collect();
        'rounds: loop {
            let mut all_done = true;
            for slot in &mut self.slots {
                let have = slot.run.iterations();
                if slot.run.is_finished() || have >= target || working.contains(&slot.generation) {
                    continue;
                }
                all_done = false;
                let before = Instant::now();
                slot.run.step_many((target - have).min(chunk));
                if started.elapsed() >= budget {
                    break 'rounds;
                }
                if before.elapsed() < budget / 64 {
                    chunk = (chunk * 2).min(4096);
                }
            }
            if all_done {
                break;
            }
        }
        self.progress(target)
    }

    /// Hands finished workers' runs back to their slots; drops (and so cancels) workers whose
    /// slot is gone or whose target is no longer wanted.
    fn collect_workers(&mut self) {
        let target = self.target();
        let mut finished = Vec::new();
        self.workers.0.retain(|job| {
            let (generation, job_target) = *job.key();
            match job.poll() {
                Ok(Some(run)) => {
                    finished.push((generation, run));
                    false
                }
                // A worker going further than now needed is kept; one short of it is not.
                Ok(None) => job_target >= target,
                Err(_) => false,
            }
        });
        for (generation, run) in finished {
            if let Some(slot) = self.slots.iter_mut().find(|s| s.generation == generation)
                && run.iterations() >= slot.run.iterations()
            {
                slot.run = run;
            }
        }
        let live: Vec<u64> = self.slots.iter().map(|s| s.generation).collect();
        self.workers.0.retain(|job| live.contains(&job.key().0));
    }

    /// Starts a worker for runs that need more than [`WORKER_STEPS`] steps, at most one
    /// fewer than the cores at a time, so the frame keeps a core; the other runs are stepped
    /// within the frame's budget meanwhile.
    fn start_workers(&mut self, target: usize) {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let most = cores.saturating_sub(1).max(1);
        for slot in &self.slots {
            if self.workers.0.len() >= most {
                break;
            }
            let have = slot.run.iterations();
            let busy = self.workers.0.iter().any(|j| j.key().0 == slot.generation);
            if busy || slot.run.is_finished() || target.saturating_sub(have) <= WORKER_STEPS {
                continue;
            }
            let mut run = slot.run.clone();
            self.workers.0.push(Job::start(
                Runner::Background,
                (slot.generation, target),
                move |context| {
                    while !run.is_finished() && run.iterations() < target {
                        run.step_many((target - run.iterations()).min(1024));
                        context.set_done(run.iterations() as u64);
                        if context.is_cancelled() {
                            break;
                        }
                    }
                    run
                },
            ));
        }
    }

    /// Whether runs are being computed on worker threads.
    pub fn workers_busy(&self) -> bool {
        !self.workers.0.is_empty()
    }

    fn progress(&self, target: usize) -> Progress {
        let mut progress = Progress { done: 0, needed: 0 };
        for slot in &self.slots {
            let need = if slot.run.is_finished() {
                slot.run.iterations()
            } else {
                target
            };
            let on_worker = self
                .workers
                .0
                .iter()
                .find(|j| j.key().0 == slot.generation)
                .map_or(0, |j| j.done() as usize)
                // A worker that has counted its last step has not handed the run back yet:
                // the run is complete only once its slot holds it.
                .min(need.saturating_sub(1));
            progress.needed += need as u64;
            progress.done += slot.run.iterations().max(on_worker).min(need) as u64;
        }
        progress
    }
}
