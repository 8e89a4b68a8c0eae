//! Saving what the window shows: a PNG screenshot, and the runs' paths as CSV with the
//! command line's columns.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::{DescentApp, Notice};
use crate::cli::write_csv;

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

    /// Shows the dialog, carries out saves and reports their outcome.
    pub fn ui(app: &mut DescentApp, ctx: &egui::Context) {
        while let Ok(result) = app.export.receiver.try_recv() {
            app.notice = Some(match result {
                Ok(path) => Notice::Info(format!("Saved {}", path.display())),
                Err(e) => Notice::Error(e),
            });
        }
        Self::job_ui(app, ctx);
        let Some(kind) = app.export.dialog else {
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
                        .add(egui::TextEdit::singleline(&mut app.export.path).desired_width(260.0));
                    let r = r.labelled_by(label.id);
                    save |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                });
                ui.horizontal(|ui| {
                    save |= ui.button("Save").clicked();
                    if ui.button("Cancel").clicked() {
                        app.export.dialog = None;
                    }
                });
            });
        if !open {
            app.export.dialog = None;
        }
        if save {
            app.export.dialog = None;
            let path = PathBuf::from(app.export.path.trim());
            match kind {
                ExportKind::Screenshot => {
                    let sender = app.export.sender.clone();
                    ctx.request_screenshot(move |image| {
                        let _ = sender.send(save_png(&image, &path).map(|()| path));
                    });
                    ctx.request_repaint();
                }
                ExportKind::PathsCsv => {
                    app.notice = Some(match save_paths_csv(app, &path) {
                        Ok(()) => Notice::Info(format!("Saved {}", path.display())),
                        Err(e) => Notice::Error(e),
                    });
                }
            }
        }
    }

    fn job_ui(app: &mut DescentApp, ctx: &egui::Context) {
        let done = app.progress.is_complete() && !app.sim.playing;
        let Some(job) = &mut app.export.job else {
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
    buffer
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("could not save {}: {e}", path.display()))
}

/// Runs every run to its end and writes the paths with the command line's CSV columns.
pub fn save_paths_csv(app: &DescentApp, path: &Path) -> Result<(), String> {
    let runs: Vec<_> = app
        .sim
        .slots()
        .iter()
        .map(|slot| {
            let mut run = slot.run.clone();
            run.finish_all();
            run
        })
        .collect();
    let file = std::fs::File::create(path)
        .map_err(|e| format!("could not save {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    write_csv(&mut out, app.objective().as_ref(), &runs)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| format!("could not save {}: {e}", path.display()))
}
