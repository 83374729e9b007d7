//! Routing: which body an appeal goes to, by category, municipality, region and place.

use crate::model::{self, Point};
use crate::store;

/// The body a rule set sends an appeal to: among the rules whose category (the subcategory, its
/// category, or any) and territory (a polygon containing the place, the municipality, the
/// region, or anywhere) match, the most specific wins — territory first (polygon > municipality >
/// region > anywhere), then category (subcategory > category > any); ties go to the older rule.
pub fn route(
    routes: &[store::RouteRow],
    sub: &str,
    parent: Option<&str>,
    municipality: Option<&str>,
    region: Option<&str>,
    place: Option<Point>,
) -> Option<String> {
    let mut best: Option<(u8, u8, &store::RouteRow)> = None;
    for r in routes {
        let cat = match r.category_code.as_deref() {
            None => 1,
            Some(c) if c == sub => 3,
            Some(c) if Some(c) == parent => 2,
            Some(_) => continue,
        };
        let terr = if let Some(poly) = r.polygon.as_deref() {
            let Some(p) = place else { continue };
            let ring: Vec<Point> = serde_json::from_str::<Vec<[f64; 2]>>(poly)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|[la, lo]| {
                    Some(Point {
                        lat: model::micro(la, 90.0)?,
                        lon: model::micro(lo, 180.0)?,
                    })
                })
                .collect();
            if !model::contains(&ring, p) {
                continue;
            }
            4
        } else if let Some(m) = r.municipality_code.as_deref() {
            if Some(m) != municipality {
                continue;
            }
            3
        } else if let Some(g) = r.region_code.as_deref() {
            if Some(g) != region {
                continue;
            }
            2
        } else {
            1
        };
        if best.is_none_or(|(t, c, _)| (terr, cat) > (t, c)) {
            best = Some((terr, cat, r));
        }
    }
    best.map(|(_, _, r)| r.body_code.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        cat: Option<&str>,
        m: Option<&str>,
        g: Option<&str>,
        poly: Option<&str>,
        body: &str,
    ) -> store::RouteRow {
        store::RouteRow {
            id: body.into(),
            category_code: cat.map(Into::into),
            region_code: g.map(Into::into),
            municipality_code: m.map(Into::into),
            polygon: poly.map(Into::into),
            body_code: body.into(),
        }
    }

    #[test]
    fn the_most_specific_rule_routes_the_appeal() {
        let poly = "[[54.18, 37.60], [54.18, 37.64], [54.21, 37.64], [54.21, 37.60]]";
        let rules = vec![
            rule(None, None, Some("71"), None, "region"),
            rule(Some("roads"), None, Some("71"), None, "roads-ministry"),
            rule(Some("roads"), Some("tula"), None, None, "tula-city"),
            rule(Some("pothole"), Some("tula"), None, None, "tula-roads"),
            rule(None, None, None, Some(poly), "central-district"),
        ];
        let inside = Some(Point {
            lat: 54_193_000,
            lon: 37_617_000,
        });
        let outside = Some(Point {
            lat: 54_100_000,
            lon: 37_500_000,
        });
        let r = |sub: &str, parent: &str, m: Option<&str>, place| {
            route(&rules, sub, Some(parent), m, Some("71"), place)
        };
        // The polygon containing the place wins over the municipality.
        assert_eq!(
            r("pothole", "roads", Some("tula"), inside).as_deref(),
            Some("central-district")
        );
        // Else the subcategory's rule in the municipality, then the category's.
        assert_eq!(
            r("pothole", "roads", Some("tula"), outside).as_deref(),
            Some("tula-roads")
        );
        assert_eq!(
            r("lights", "roads", Some("tula"), None).as_deref(),
            Some("tula-city")
        );
        // Elsewhere in the region: the category's regional rule, then any.
        assert_eq!(
            r("lights", "roads", Some("novomoskovsk"), None).as_deref(),
            Some("roads-ministry")
        );
        assert_eq!(
            r("heating", "housing", None, None).as_deref(),
            Some("region")
        );
        assert_eq!(
            route(&rules, "heating", Some("housing"), None, Some("40"), None),
            None
        );
    }
}
