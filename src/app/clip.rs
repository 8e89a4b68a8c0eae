//! Clipping to the visible region: every line, arrow and tangent a view draws is cut to the
//! plot's bounds (with a margin) before egui sees it, so a shape is never longer than the
//! screen however steep or far away it is.

/// An axis-aligned box in plot coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// Smallest x and y.
    pub min: [f64; 2],
    /// Largest x and y.
    pub max: [f64; 2],
}

impl Region {
    /// The box from `min` to `max`, grown by `margin` times its size on every side.
    pub fn with_margin(min: [f64; 2], max: [f64; 2], margin: f64) -> Self {
        let dx = (max[0] - min[0]) * margin;
        let dy = (max[1] - min[1]) * margin;
        Self {
            min: [min[0] - dx, min[1] - dy],
            max: [max[0] + dx, max[1] + dy],
        }
    }

    /// Whether `p` lies inside.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        (self.min[0]..=self.max[0]).contains(&p[0]) && (self.min[1]..=self.max[1]).contains(&p[1])
    }

    /// The part of segment `a`-`b` inside the box, or `None` (Cohen-Sutherland: endpoints
    /// inside stay exact, and a crossing is found from the two endpoints' coordinates
    /// directly, so a segment a million times longer than the box is cut precisely).
    pub fn clip_segment(&self, a: [f64; 2], b: [f64; 2]) -> Option<([f64; 2], [f64; 2])> {
        if !(a.iter().chain(&b).all(|v| v.is_finite())) {
            return None;
        }
        let (mut a, mut b) = (a, b);
        for _ in 0..8 {
            let (code_a, code_b) = (self.outcode(a), self.outcode(b));
            if code_a | code_b == 0 {
                return Some((a, b));
            }
            if code_a & code_b != 0 {
                return None;
            }
            let outside_a = code_a != 0;
            let (p, q) = if outside_a { (a, b) } else { (b, a) };
            let code = if outside_a { code_a } else { code_b };
            let moved = if code & (LEFT | RIGHT) != 0 {
                let x = if code & LEFT != 0 {
                    self.min[0]
                } else {
                    self.max[0]
                };
                [x, along(p[1], q[1], p[0], q[0], x)]
            } else {
                let y = if code & BOTTOM != 0 {
                    self.min[1]
                } else {
                    self.max[1]
                };
                [along(p[0], q[0], p[1], q[1], y), y]
            };
            if outside_a {
                a = moved;
            } else {
                b = moved;
            }
        }
        None
    }

    fn outcode(&self, p: [f64; 2]) -> u8 {
        let mut code = 0;
        if p[0] < self.min[0] {
            code |= LEFT;
        } else if p[0] > self.max[0] {
            code |= RIGHT;
        }
        if p[1] < self.min[1] {
            code |= BOTTOM;
        } else if p[1] > self.max[1] {
            code |= TOP;
        }
        code
    }

    /// A polyline cut into the pieces that lie inside the box.
    pub fn clip_polyline(&self, points: &[[f64; 2]]) -> Vec<Vec<[f64; 2]>> {
        let mut pieces: Vec<Vec<[f64; 2]>> = Vec::new();
        let mut current: Vec<[f64; 2]> = Vec::new();
        for pair in points.windows(2) {
            match self.clip_segment(pair[0], pair[1]) {
                Some((a, b)) => {
                    if current.last() != Some(&a) {
                        if current.len() > 1 {
                            pieces.push(std::mem::take(&mut current));
                        }
                        current.clear();
                        current.push(a);
                    }
                    current.push(b);
                }
                None => {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
        }
        if current.len() > 1 {
            pieces.push(current);
        }
        if points.len() == 1 && self.contains(points[0]) {
            pieces.push(points.to_vec());
        }
        pieces
    }
}

const LEFT: u8 = 1;
const RIGHT: u8 = 2;
const BOTTOM: u8 = 4;
const TOP: u8 = 8;

/// The other coordinate where the line from p to q reaches `at` on this axis: `pu + (qu -
/// pu) (at - pv) / (qv - pv)`, with the differences halved so that they cannot overflow.
fn along(pu: f64, qu: f64, pv: f64, qv: f64, at: f64) -> f64 {
    let ratio = (at / 2.0 - pv / 2.0) / (qv / 2.0 - pv / 2.0);
    let ratio = if ratio.is_finite() {
        ratio.clamp(0.0, 1.0)
    } else {
        0.0
    };
    pu + (qu / 2.0 - pu / 2.0) * 2.0 * ratio
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steep_line_is_cut_to_the_box() {
        let region = Region::with_margin([0.0, 0.0], [1.0, 1.0], 0.0);
        let (a, b) = region
            .clip_segment([0.5, -1e300], [0.5, 1e300])
            .expect("it crosses the box");
        assert_eq!((a, b), ([0.5, 0.0], [0.5, 1.0]));
        assert!(region.clip_segment([2.0, 2.0], [3.0, 5.0]).is_none());
        assert!(region.clip_segment([0.0, f64::NAN], [1.0, 1.0]).is_none());
        let inside = region.clip_segment([0.2, 0.2], [0.4, 0.6]).unwrap();
        assert_eq!(inside, ([0.2, 0.2], [0.4, 0.6]));
    }

    #[test]
    fn a_polyline_leaving_and_coming_back_is_two_pieces() {
        let region = Region::with_margin([0.0, 0.0], [1.0, 1.0], 0.0);
        let pieces =
            region.clip_polyline(&[[0.1, 0.5], [0.9, 0.5], [5.0, 0.5], [0.9, 0.2], [0.1, 0.2]]);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![[0.1, 0.5], [0.9, 0.5], [1.0, 0.5]]);
        assert_eq!(pieces[1].last(), Some(&[0.1, 0.2]));
    }
}
