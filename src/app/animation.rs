//! Animations to share: the window's animation recorded frame by frame (the scrubber moved
//! to each frame's iteration, the picture taken once it has settled) and encoded into an
//! animated GIF on a worker while recording goes on. The GIF is written to a temporary file
//! renamed into place, so a cancelled or failed export leaves nothing behind.

use crate::app::controls::Typed;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};

use super::action::Action;
use super::help::Explain;
use super::jobs::{Job, JobContext, Runner};

/// The most frames an animation may have.
pub const MAX_FRAMES: usize = 600;
/// The fastest frame rate (GIF delays are in hundredths of a second).
pub const MAX_FPS: u32 = 50;
/// The widest GIF, in pixels.
pub const MAX_WIDTH: u32 = 1920;

/// What to record.
#[derive(Clone, Debug, PartialEq)]
pub struct GifRequest {
    /// Where to write it.
    pub path: PathBuf,
    /// Frames per second, 1 to [`MAX_FPS`].
    pub fps: u32,
    /// Frames, 2 to [`MAX_FRAMES`]: iterations from the first to the last, evenly spaced.
    pub frames: usize,
    /// The GIF's size in pixels; `None` keeps the captured size.
    pub size: Option<[u32; 2]>,
    /// What part of the window to record.
    pub region: Region,
    /// The iterations to record, first and last (`None`: from 0 to the end).
    pub range: Option<(usize, usize)>,
}

/// The part of the window an animation records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Region {
    /// The views: the plot and the 3-D view (and the lab's scatter), as laid out.
    #[default]
    Views,
    /// The contour plot (or the curve of a function of one variable).
    Plot,
    /// The 3-D view.
    Surface,
    /// The whole window.
    Window,
}

impl GifRequest {
    /// Checks the numbers: the message names the field and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_FPS).contains(&self.fps) {
            return Err(format!("fps: {} is not in 1..={MAX_FPS}", self.fps));
        }
        if !(2..=MAX_FRAMES).contains(&self.frames) {
            return Err(format!(
                "frames: {} is not in 2..={MAX_FRAMES}",
                self.frames
            ));
        }
        if let Some([w, h]) = self.size
            && !((16..=MAX_WIDTH).contains(&w) && (16..=MAX_WIDTH).contains(&h))
        {
            return Err(format!(
                "size: {w}x{h} is not within 16 to {MAX_WIDTH} pixels each way"
            ));
        }
        Ok(())
    }
}

/// The iteration each frame shows: `frames` iterations from 0 to `last`, evenly spaced, each
/// once (fewer frames when there are fewer iterations).
pub fn frame_iterations(last: usize, frames: usize) -> Vec<usize> {
    frames_between(0, last, frames)
}

/// `frames` iterations from `first` to `last` (in either order), evenly spaced, each once.
pub fn frames_between(first: usize, last: usize, frames: usize) -> Vec<usize> {
    let (first, last) = (first.min(last), first.max(last));
    let span = last - first;
    let count = frames.min(span + 1).max(1);
    if count == 1 {
        return vec![last];
    }
    let mut out: Vec<usize> = (0..count)
        .map(|i| first + ((i as f64 / (count - 1) as f64) * span as f64).round() as usize)
        .collect();
    out.dedup();
    out
}

type Encoding = Job<PathBuf, Result<PathBuf, String>>;

/// A recording in progress.
pub struct Recorder {
    request: GifRequest,
    iterations: Vec<usize>,
    /// The next frame to scrub to.
    next: usize,
    /// Frames drawn since the scrub, so the picture has settled.
    settle: u32,
    /// Whether the screenshot of the current frame was asked for and not yet delivered.
    waiting: Arc<std::sync::atomic::AtomicBool>,
    frames: Option<SyncSender<RgbaImage>>,
    encoding: Encoding,
    /// Close the window when done (`descent --gif`).
    pub exit_when_done: bool,
    /// Whether this frame's picture was asked for.
    taking: bool,
}

impl Recorder {
    /// Starts recording `request` over iterations 0 to `last`, encoding on `runner`.
    pub fn start(request: GifRequest, last: usize, runner: Runner) -> Self {
        let (from, to) = request.range.unwrap_or((0, last));
        let iterations = frames_between(from.min(last), to.min(last), request.frames);
        let (sender, receiver) = sync_channel(4);
        let path = request.path.clone();
        let (fps, size, count) = (request.fps, request.size, iterations.len());
        // Always a thread of its own: it waits for frames that the frames to come deliver.
        let _ = runner;
        let encoding = Job::start(Runner::Background, path.clone(), move |context| {
            encode(&path, fps, size, count, &receiver, context)
        });
        Self {
            request,
            iterations,
            next: 0,
            settle: 0,
            waiting: Arc::default(),
            frames: Some(sender),
            encoding,
            exit_when_done: false,
            taking: false,
        }
    }

    /// Frames in the animation.
    pub fn len(&self) -> usize {
        self.iterations.len()
    }

    /// Whether the animation has no frame (never: at least one).
    pub fn is_empty(&self) -> bool {
        self.iterations.is_empty()
    }

    /// The part of the window recorded.
    pub fn region(&self) -> Region {
        self.request.region
    }

    /// Whether a picture is being taken of this frame (nothing extra should be drawn).
    pub fn capturing_now(&self) -> bool {
        self.taking
    }

    /// Frames encoded so far.
    pub fn encoded(&self) -> usize {
        self.encoding.done() as usize
    }

    /// Stops recording; the encoder removes its temporary file.
    pub fn cancel(self) {
        self.encoding.cancel();
    }

    /// One frame of the recording: the scrub to the next frame's iteration (an action), or a
    /// screenshot once the picture has settled, cropped to `views` (in points) if asked.
    /// Returns the outcome once the GIF is written.
    pub fn frame(
        &mut self,
        ctx: &egui::Context,
        crop: Option<egui::Rect>,
        drawing_done: bool,
        actions: &mut Vec<Action>,
    ) -> Option<Result<PathBuf, String>> {
        use std::sync::atomic::Ordering;
        ctx.request_repaint();
        self.taking = false;
        if self.waiting.load(Ordering::Acquire) {
            return None;
        }
        if self.next < self.iterations.len() {
            if self.settle == 0 {
                actions.push(Action::ScrubTo(self.iterations[self.next]));
                self.settle = 1;
            } else if self.settle < 3 || !drawing_done {
                self.settle += 1;
            } else {
                self.settle = 0;
                self.next += 1;
                self.taking = true;
                self.waiting.store(true, Ordering::Release);
                let waiting = self.waiting.clone();
                let sender = self.frames.clone();
                let crop = crop.map(|rect| rect * ctx.pixels_per_point());
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    if let Some(sender) = sender {
                        let _ = sender.send(to_rgba(&image, crop));
                    }
                    waiting.store(false, Ordering::Release);
                    repaint.request_repaint();
                });
            }
            return None;
        }
        // Every frame sent: closing the channel lets the encoder finish.
        self.frames = None;
        match self.encoding.poll() {
            Ok(None) => None,
            Ok(Some(result)) => Some(result),
            Err(_) => Some(Err("the GIF encoder stopped unexpectedly".to_string())),
        }
    }
}

/// An egui screenshot as an image, cropped to `crop` (in pixels) if given.
fn to_rgba(image: &egui::ColorImage, crop: Option<egui::Rect>) -> RgbaImage {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    let full = RgbaImage::from_raw(w as u32, h as u32, bytes).unwrap_or_default();
    let Some(rect) = crop else {
        return full;
    };
    let x = rect.min.x.clamp(0.0, w as f32) as u32;
    let y = rect.min.y.clamp(0.0, h as f32) as u32;
    let cw = (rect.width().max(1.0) as u32).min(w as u32 - x.min(w as u32));
    let ch = (rect.height().max(1.0) as u32).min(h as u32 - y.min(h as u32));
    image::imageops::crop_imm(&full, x, y, cw.max(1), ch.max(1)).to_image()
}

/// Encodes the frames `receiver` delivers (resized to `size` if given) into an animated
/// GIF at `fps`, written to a temporary file renamed to `path` once all `count` arrived.
pub fn encode(
    path: &Path,
    fps: u32,
    size: Option<[u32; 2]>,
    count: usize,
    receiver: &Receiver<RgbaImage>,
    context: &JobContext,
) -> Result<PathBuf, String> {
    let fail = |e: &dyn std::fmt::Display| format!("could not save {}: {e}", path.display());
    let partial = crate::files::partial_path(path);
    let result = (|| {
        let file = std::fs::File::create(&partial).map_err(|e| fail(&e))?;
        let mut encoder = GifEncoder::new_with_speed(std::io::BufWriter::new(file), 10);
        encoder.set_repeat(Repeat::Infinite).map_err(|e| fail(&e))?;
        let delay = Delay::from_numer_denom_ms(1000, fps.max(1));
        let mut written = 0;
        while written < count {
            if context.is_cancelled() {
                return Err("the animation export was cancelled".to_string());
            }
            let Ok(frame) = receiver.recv_timeout(std::time::Duration::from_millis(100)) else {
                if context.is_cancelled() {
                    return Err("the animation export was cancelled".to_string());
                }
                continue;
            };
            let frame = match size {
                Some([w, h]) if [w, h] != [frame.width(), frame.height()] => {
                    image::imageops::resize(&frame, w, h, image::imageops::FilterType::Triangle)
                }
                _ => frame,
            };
            encoder
                .encode_frame(Frame::from_parts(frame, 0, 0, delay))
                .map_err(|e| fail(&e))?;
            written += 1;
            context.set_done(written as u64);
        }
        drop(encoder);
        std::fs::rename(&partial, path).map_err(|e| fail(&e))?;
        Ok(path.to_path_buf())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_spread_evenly_from_the_first_iteration_to_the_last() {
        assert_eq!(frame_iterations(100, 5), vec![0, 25, 50, 75, 100]);
        assert_eq!(frame_iterations(3, 10), vec![0, 1, 2, 3]);
        assert_eq!(frame_iterations(0, 10), vec![0]);
        assert_eq!(frames_between(10, 20, 3), vec![10, 15, 20]);
        assert_eq!(frames_between(20, 10, 3), vec![10, 15, 20]);
        let many = frame_iterations(999, 600);
        assert_eq!(many.len(), 600);
        assert_eq!((many[0], many[599]), (0, 999));
    }

    #[test]
    fn the_request_is_checked() {
        let ok = GifRequest {
            path: "a.gif".into(),
            fps: 10,
            frames: 50,
            size: Some([320, 200]),
            region: Region::Window,
            range: None,
        };
        assert_eq!(ok.validate(), Ok(()));
        for (bad, field) in [
            (
                GifRequest {
                    fps: 0,
                    ..ok.clone()
                },
                "fps",
            ),
            (
                GifRequest {
                    frames: 1,
                    ..ok.clone()
                },
                "frames",
            ),
            (
                GifRequest {
                    size: Some([8, 200]),
                    ..ok.clone()
                },
                "size",
            ),
        ] {
            assert!(bad.validate().unwrap_err().starts_with(field));
        }
    }
}

/// The "Export animation" dialog's fields, as typed.
#[derive(Clone, Debug)]
pub struct GifDialog {
    /// Whether it shows.
    pub open: bool,
    /// The file.
    pub path: String,
    /// Frames per second.
    pub fps: u32,
    /// Frames.
    pub frames: usize,
    /// The first and last iteration recorded (the last clamped to the end).
    pub from: usize,
    /// See `from`.
    pub to: usize,
    /// Width in pixels (0: as the window draws it).
    pub width: u32,
    /// What to record.
    pub region: Region,

    /// Why the last start was refused.
    pub error: Option<String>,
}

impl Default for GifDialog {
    fn default() -> Self {
        Self {
            open: false,
            path: "descent.gif".to_string(),
            fps: 15,
            frames: 60,
            from: 0,
            to: usize::MAX,
            width: 640,
            region: Region::Views,
            error: None,
        }
    }
}

impl GifDialog {
    /// Shows the dialog; returns the request when the user starts the export. `size` gives
    /// the size (in points) of what each region would record, for the GIF's height.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        size: impl Fn(Region) -> egui::Vec2,
    ) -> Option<GifRequest> {
        if !self.open {
            return None;
        }
        let mut start = None;
        let mut open = true;
        egui::Window::new("Export animation (GIF)")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .open(&mut open)
            .show(ctx, |ui| {
                egui::Grid::new("gif").num_columns(2).show(ui, |ui| {
                    let label = ui.label("File");
                    ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(240.0))
                        .labelled_by(label.id)
                        .explain("Where to write the GIF (a path ending in .gif)");
                    ui.end_row();
                    ui.label("What");
                    ui.horizontal(|ui| {
                        for (region, name) in [
                            (Region::Views, "the views"),
                            (Region::Plot, "the plot"),
                            (Region::Surface, "the 3-D view"),
                            (Region::Window, "the whole window"),
                        ] {
                            ui.radio_value(&mut self.region, region, name)
                                .explain(format!("Record {name}"));
                        }
                    });
                    ui.end_row();
                    let label = ui.label("Iterations");
                    ui.horizontal(|ui| {
                        ui.add(egui::DragValue::new(&mut self.from)
                                .typed_whole(0.0..=usize::MAX as f64)
                                .prefix("from "))
                            .labelled_by(label.id)
                            .explain("The first iteration recorded");
                        let to = ui
                            .add(
                                egui::DragValue::new(&mut self.to)
                                    .typed_whole(0.0..=usize::MAX as f64)
                                    .prefix("to ")
                                    .custom_formatter(|v, _| {
                                        if v >= usize::MAX as f64 {
                                            "the end".to_string()
                                        } else {
                                            format!("{v:.0}")
                                        }
                                    }),
                            )
                            .explain(
                                "The last iteration recorded (beyond the runs' end: the end)",
                            );
                        to.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "to iteration")
                        });
                    });
                    ui.end_row();
                    let label = ui.label("Frames");
                    ui.add(egui::DragValue::new(&mut self.frames)
                        .typed_whole(2.0..=MAX_FRAMES as f64)
                        .range(2..=MAX_FRAMES))
                        .labelled_by(label.id)
                        .explain("Iterations from the first to the last, evenly spaced");
                    ui.end_row();
                    let label = ui.label("Frames per second");
                    ui.add(egui::DragValue::new(&mut self.fps)
                        .typed_whole(1.0..=f64::from(MAX_FPS))
                        .range(1..=MAX_FPS))
                        .labelled_by(label.id)
                        .explain("How fast the GIF plays");
                    ui.end_row();
                    let label = ui.label("Width (pixels)");
                    ui.add(egui::DragValue::new(&mut self.width)
                        .typed_whole(0.0..=f64::from(MAX_WIDTH))
                        .range(0..=MAX_WIDTH))
                        .labelled_by(label.id)
                        .explain("0 keeps the size the window draws; the height follows");
                    ui.end_row();
                });
                // A value a field above refused is said here, where it was typed.
                if let Some(reason) = super::controls::take_refusal() {
                    self.error = Some(reason);
                }
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.horizontal(|ui| {
                    if ui
                        .button("Record")
                        .explain("Play the iterations frame by frame and write the GIF; the window shows the progress")
                        .clicked()
                    {
                        let shown = size(self.region);
                        let size = (self.width > 0).then(|| {
                            let h = (self.width as f32 * shown.y / shown.x.max(1.0)).round();
                            [self.width, (h as u32).clamp(16, MAX_WIDTH)]
                        });
                        let request = GifRequest {
                            path: PathBuf::from(self.path.trim()),
                            fps: self.fps,
                            frames: self.frames,
                            size,
                            region: self.region,
                            range: Some((self.from, self.to)),
                        };
                        match request.validate() {
                            Ok(()) => start = Some(request),
                            Err(e) => self.error = Some(e),
                        }
                    }
                    if ui.button("Cancel").explain("Close without recording").clicked() {
                        self.open = false;
                    }
                });
            });
        if !open || start.is_some() {
            self.open = false;
            self.error = None;
        }
        start
    }
}
