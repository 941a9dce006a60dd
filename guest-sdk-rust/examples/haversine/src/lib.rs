//! `haversine`: great-circle distance in kilometres between two points given in degrees, the
//! compute-heavy kernel of the benchmark harness (`benchmarks/`).
//!
//! Input: float64 columns `lat1`, `lon1`, `lat2`, `lon2`, found by name (other columns are
//! ignored). Output (declared): `km` (float64, nullable), null when any of the four is null.
//! Uses the mean Earth radius (6371.0088 km) and only scalar floating point (no SIMD).

#![forbid(unsafe_code)]

use wasm_flight_guest::{Batch, OutputBatch, PrimitiveBuilder, Result};

/// Mean Earth radius in kilometres (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The haversine distance in kilometres between (lat1, lon1) and (lat2, lon2), in degrees.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let dlat = (lat2 - lat1).to_radians();
    let dlon = (lon2 - lon1).to_radians();
    let s_lat = (dlat / 2.0).sin();
    let s_lon = (dlon / 2.0).sin();
    let a = s_lat * s_lat + lat1.to_radians().cos() * lat2.to_radians().cos() * s_lon * s_lon;
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

pub fn haversine(input: &Batch) -> Result<OutputBatch> {
    let lat1 = input.column_by_name("lat1")?.primitive::<f64>()?;
    let lon1 = input.column_by_name("lon1")?.primitive::<f64>()?;
    let lat2 = input.column_by_name("lat2")?.primitive::<f64>()?;
    let lon2 = input.column_by_name("lon2")?.primitive::<f64>()?;
    let km: PrimitiveBuilder<f64> = lat1
        .iter()
        .zip(lon1.iter())
        .zip(lat2.iter().zip(lon2.iter()))
        .map(|((a, b), (c, d))| Some(distance_km(a?, b?, c?, d?)))
        .collect();
    OutputBatch::new(input.num_rows()).with_column("km", true, km)
}

wasm_flight_guest::export_functions! {
    map haversine => haversine, output ["km": float64 nullable];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[Option<f64>]) -> PrimitiveBuilder<f64> {
        values.iter().copied().collect()
    }

    #[test]
    fn distances_and_nulls() {
        // Paris -> London is about 343.5 km; a point to itself is 0; antipodes are half the
        // circumference; any null input makes a null output.
        let lat1 = column(&[Some(48.8566), Some(10.0), Some(0.0), None]);
        let lon1 = column(&[Some(2.3522), Some(20.0), Some(0.0), Some(1.0)]);
        let lat2 = column(&[Some(51.5074), Some(10.0), Some(0.0), Some(1.0)]);
        let lon2 = column(&[Some(-0.1278), Some(20.0), Some(180.0), Some(1.0)]);
        let batch = OutputBatch::new(4)
            .with_column("lat1", true, lat1)
            .and_then(|b| b.with_column("lon1", true, lon1))
            .and_then(|b| b.with_column("lat2", true, lat2))
            .and_then(|b| b.with_column("lon2", true, lon2))
            .unwrap();
        let out = batch.as_input(haversine).unwrap().unwrap();
        let got = out.as_input(|b| {
            assert_eq!(b.num_columns(), 1);
            let km = b.column(0).unwrap();
            assert_eq!(km.name(), "km");
            km.primitive::<f64>().unwrap().iter().collect::<Vec<_>>()
        });
        let got = got.unwrap();
        assert!((got[0].unwrap() - 343.56).abs() < 0.1, "{:?}", got[0]);
        assert_eq!(got[1], Some(0.0));
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!((got[2].unwrap() - half).abs() < 1e-6, "{:?}", got[2]);
        assert_eq!(got[3], None);
    }

    #[test]
    fn missing_column() {
        let lat1 = column(&[Some(1.0)]);
        let batch = OutputBatch::new(1).with_column("lat1", true, lat1).unwrap();
        let err = batch.as_input(haversine).unwrap().err().unwrap();
        assert_eq!(err.message(), "the input has no column named 'lon1'");
    }

    #[test]
    fn catalog_declares_output() {
        assert_eq!(
            WF_CATALOG,
            concat!(
                r#"{"functions":[{"name":"haversine","kind":"map","export":"wf_fn_haversine","#,
                r#""output":[{"name":"km","format":"g","nullable":true}]}]}"#
            )
        );
    }
}
