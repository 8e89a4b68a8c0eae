//! Saving what the window shows: a PNG screenshot, and the runs' paths as CSV with the
//! command line's columns.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::help::Explain;
use super::jobs::{Job, JobContext, Runner};
use super::model::{Model, Notice};
use super::simulation::Progress;
use crate::cli::{stream_csv_run, write_csv_header};
use crate::engine::{Objective, Run};

/// A CSV export: the file it writes, and its path or an error.
type CsvJob = Job<PathBuf, Result<PathBuf, String>>;

/// What a save dialog saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The window as a PNG image.
    Screenshot,
    /// Every run's path, to its end, as CSV.
    PathsCsv,
}

/// The save dialog and pending screenshots.
pub struct Export {
    dialog: Option<ExportKind>,
    path: String,
    sender: Sender<Result<PathBuf, String>>,
    receiver: Receiver<Result<PathBuf, String>>,
    /// A `--screenshot` request: save once everything is computed, then close.
    pub job: Option<ScreenshotJob>,
    /// A CSV export running in the background, with the iterations it will write at most.
    csv: Option<(CsvJob, u64)>,
}

impl Default for Export {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self {
            dialog: None,
            path: String::new(),
            sender,
            receiver,
            job: None,
            csv: None,
        }
    }
}

/// A screenshot the program was started to take (`descent --screenshot out.png ...`).
pub struct ScreenshotJob {
    /// Where to save it.
    pub path: PathBuf,
    /// Frames drawn since the runs finished, so the picture has settled.
    settled_frames: u32,
    requested: bool,
    /// The outcome, for `main` to report after the window closes.
    pub result: Arc<Mutex<Option<Result<(), String>>>>,
}

impl ScreenshotJob {
    /// A job saving to `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            settled_frames: 0,
            requested: false,
            result: Arc::new(Mutex::new(None)),
        }
    }
}

impl Export {
    /// Opens the save dialog for `kind` with a default file name.
    pub fn open(&mut self, kind: ExportKind) {
        self.path = match kind {
            ExportKind::Screenshot => "descent.png".to_string(),
            ExportKind::PathsCsv => "descent-paths.csv".to_string(),
        };
        self.dialog = Some(kind);
    }

    /// Whether an export is running.
    pub fn is_busy(&self) -> bool {
        self.csv.is_some()
    }

    /// Shows the dialog and the progress of an export, carries out saves and reports their
    /// outcome in the model's notice.
    pub fn ui(
        &mut self,
        model: &mut Model,
        progress: Progress,
        drawing_done: bool,
        runner: Runner,
        ctx: &egui::Context,
    ) {
        while let Ok(result) = self.receiver.try_recv() {
            model.notice = Some(match result {
                Ok(path) => Notice::Info(format!("Saved {}", path.display())),
                Err(e) => Notice::Error(e),
            });
        }
        if let Some(notice) = self.poll_csv(ctx) {
            model.notice = Some(notice);
        }
        self.job_ui(model, progress, drawing_done, ctx);
        let Some(kind) = self.dialog else {
            return;
        };
        let title = match kind {
            ExportKind::Screenshot => "Save screenshot",
            ExportKind::PathsCsv => "Export paths",
        };
        let mut open = true;
        let mut save = false;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label("File");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut self.path).desired_width(260.0))
                        .explain("Where to write the file: a path, absolute or from the folder descent started in");
                    let r = r.labelled_by(label.id);
                    save |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                });
                ui.horizontal(|ui| {
                    save |= ui
                        .button("Save")
                        .explain("Write the file (a whole file or nothing: it is written beside and renamed)")
                        .clicked();
                    if ui.button("Cancel").explain("Close without saving").clicked() {
                        self.dialog = None;
                    }
                });
            });
        if !open {
            self.dialog = None;
        }
        if save {
            self.dialog = None;
            let path = PathBuf::from(self.path.trim());
            match kind {
                ExportKind::Screenshot => {
                    let sender = self.sender.clone();
                    ctx.request_screenshot(move |image| {
                        let _ = sender.send(save_png(&image, &path).map(|()| path));
                    });
                    ctx.request_repaint();
                }
                ExportKind::PathsCsv => self.start_csv(model, path, runner),
            }
        }
    }

    /// Starts writing every run, from its start to its end, to `path` in the background.
    pub fn start_csv(&mut self, model: &Model, path: PathBuf, runner: Runner) {
        let runs: Result<Vec<Run>, _> = model
            .sim
            .slots()
            .iter()
            .map(|slot| slot.run.restarted(2))
            .collect();
        let runs = match runs {
            Ok(runs) => runs,
            Err(e) => {
                self.csv = None;
                let job = Job::start(runner, path, move |_| Err(e.to_string()));
                self.csv = Some((job, 1));
                return;
            }
        };
        let total: u64 = runs.iter().map(|r| r.spec().max_iters + 1).sum();
        let objective = model.objective().clone();
        if let Some((old, _)) = self.csv.take() {
            old.cancel();
        }
        let job = Job::start(runner, path.clone(), move |context| {
            write_paths_csv(&path, objective.as_ref(), runs, context).map(|()| path)
        });
        self.csv = Some((job, total));
    }

    /// Collects a finished export and shows the running one's progress with a Cancel button.
    fn poll_csv(&mut self, ctx: &egui::Context) -> Option<Notice> {
        let (job, total) = self.csv.as_ref()?;
        let notice = match job.poll() {
            Ok(None) => {
                let (done, total) = (job.done(), *total);
                let mut cancel = false;
                egui::Window::new("Exporting paths")
                    .collapsible(false)
                    .resizable(false)
                    .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -220.0))
                    .show(ctx, |ui| {
                        ui.add(
                            egui::ProgressBar::new((done as f64 / total.max(1) as f64) as f32)
                                .desired_width(260.0)
                                .text(format!("{done} of at most {total} rows")),
                        );
                        cancel = ui
                            .button("Cancel export")
                            .explain("Stop; no file is left behind")
                            .clicked();
                    });
                if cancel {
                    job.cancel();
                    self.csv = None;
                    return Some(Notice::Info("Export cancelled".to_string()));
                }
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
                return None;
            }
            Ok(Some(Ok(path))) => Notice::Info(format!("Saved {}", path.display())),
            Ok(Some(Err(e))) => Notice::Error(e),
            Err(super::jobs::JobLost) => {
                Notice::Error("the export stopped unexpectedly".to_string())
            }
        };
        self.csv = None;
        Some(notice)
    }

    fn job_ui(
        &mut self,
        model: &Model,
        progress: Progress,
        drawing_done: bool,
        ctx: &egui::Context,
    ) {
        let done = progress.is_complete() && !model.sim.playing && drawing_done;
        let Some(job) = &mut self.job else {
            return;
        };
        if job.requested {
            if job.result.lock().map(|r| r.is_some()).unwrap_or(true) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            ctx.request_repaint();
            return;
        }
        if done {
            job.settled_frames += 1;
        }
        if job.settled_frames >= 3 {
            job.requested = true;
            let path = job.path.clone();
            let result = job.result.clone();
            let repaint = ctx.clone();
            ctx.request_screenshot(move |image| {
                if let Ok(mut slot) = result.lock() {
                    *slot = Some(save_png(&image, &path));
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint();
    }
}

/// Writes an egui image as PNG; the error names the file.
pub fn save_png(image: &egui::ColorImage, path: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| format!("could not save {}: the screenshot is empty", path.display()))?;
    crate::files::write_atomically(path, |out| {
        buffer
            .write_to(out, image::ImageFormat::Png)
            .map_err(std::io::Error::other)
    })
    .map_err(|e| format!("could not save {}: {e}", path.display()))
}

/// Steps every run to its end, writing its rows as they are computed (the command line's
/// CSV columns) to a temporary file that replaces `path` once complete; a cancelled or
/// failed export leaves no partial file.
pub fn write_paths_csv(
    path: &Path,
    objective: &dyn Objective,
    runs: Vec<Run>,
    context: &JobContext,
) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("could not save {}: {e}", path.display());
    let partial = crate::files::partial_path(path);
    let file = std::fs::File::create(&partial).map_err(fail)?;
    let mut out = Counting {
        inner: std::io::BufWriter::new(file),
        rows: 0,
        context,
    };
    let write = || -> std::io::Result<()> {
        let with_lr = runs
            .iter()
            .any(|run| !run.spec().optimizer.schedule.is_constant());
        write_csv_header(&mut out, objective, with_lr)?;
        for (i, mut run) in runs.into_iter().enumerate() {
            stream_csv_run(
                &mut out,
                i + 1,
                &mut run,
                with_lr,
                Some(context.cancel_flag()),
            )?;
        }
        std::io::Write::flush(&mut out)
    };
    let result = write();
    drop(out);
    match result {
        Ok(()) => std::fs::rename(&partial, path).map_err(fail),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(fail(e))
        }
    }
}

/// A writer that reports the rows written as the job's progress.
struct Counting<'a, W> {
    inner: W,
    rows: u64,
    context: &'a JobContext,
}

impl<W: std::io::Write> std::io::Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let rows = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        if rows > 0 {
            self.rows += rows;
            self.context.set_done(self.rows);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
