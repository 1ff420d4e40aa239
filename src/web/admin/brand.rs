//! `/admin/brand`: the company's name, logo and accent colour, checked before they are kept
//! (`crate::brand`): a refused change comes back with the reason and HR's values.

use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::brand::{self, Brand, LogoChange};
use crate::error::AppResult;
use crate::i18n;
use crate::problem::Problem;
use crate::templates::Templates;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::guards::AdminUser;
use crate::web::page::Page;

#[derive(FromForm)]
pub struct BrandForm<'r> {
    #[field(default = String::new())]
    name: String,
    /// `#rrggbb` from the colour picker; `use_accent` off keeps the product's blue.
    #[field(default = String::new())]
    accent: String,
    use_accent: bool,
    logo: Option<TempFile<'r>>,
    remove_logo: bool,
}

/// `templates/pages/admin_brand.html`.
#[derive(Serialize)]
struct BrandPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    /// The values in the form: the kept ones, or HR's refused ones.
    name: &'a str,
    accent: String,
    use_accent: bool,
    has_logo: bool,
    done: bool,
    error: Option<&'a str>,
    min_contrast: String,
    logo_max_kib: usize,
}

struct Values<'a> {
    name: &'a str,
    accent: String,
    use_accent: bool,
}

impl<'a> Values<'a> {
    fn of(brand: &'a Brand) -> Self {
        Values {
            name: &brand.name,
            accent: brand.accent_or_default().hex(),
            use_accent: brand.accent.is_some(),
        }
    }
}

fn render(
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    brand: &Brand,
    values: Values<'_>,
    done: bool,
    error: Option<&str>,
) -> AppResult<Page> {
    Page::render(
        templates,
        "admin_brand",
        principal.locale,
        BrandPage {
            user: principal,
            csrf: &csrf.0,
            nav: "brand",
            name: values.name,
            accent: values.accent,
            use_accent: values.use_accent,
            has_logo: brand.logo.is_some(),
            done,
            error,
            min_contrast: i18n::number(brand::MIN_CONTRAST, 1, principal.locale),
            logo_max_kib: brand::LOGO_MAX_BYTES / 1024,
        },
    )
}

#[get("/admin/brand?<done>")]
pub fn page(
    admin: AdminUser,
    csrf: CsrfToken,
    done: Option<bool>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let brand = app.brand.get();
    let principal = &admin.0.principal;
    let values = Values::of(&brand);
    render(
        templates,
        principal,
        &csrf,
        &brand,
        values,
        done == Some(true),
        None,
    )
}

#[post("/admin/brand", data = "<form>")]
pub async fn save(
    admin: AdminUser,
    form: CsrfForm<BrandForm<'_>>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let principal = &admin.0.principal;
    match checked(&form).await {
        Ok((name, accent, logo)) => {
            let brand = brand::save(&app.db, name, accent, logo).await?;
            app.brand.set(brand);
            Ok(Ok(Redirect::to("/admin/brand?done=true")))
        }
        Err(problem) => {
            let message = i18n::problem(principal.locale, &problem);
            let brand = app.brand.get();
            let values = Values {
                name: &form.name,
                accent: form.accent.clone(),
                use_accent: form.use_accent,
            };
            let page = render(
                templates,
                principal,
                &csrf,
                &brand,
                values,
                false,
                Some(&message),
            )?;
            Ok(Err(page.with_status(Status::UnprocessableEntity)))
        }
    }
}

/// The form's values as `brand::save` takes them, or what is wrong with the first bad one.
async fn checked(
    form: &BrandForm<'_>,
) -> Result<(String, Option<brand::Colour>, LogoChange), Problem> {
    let name = brand::check_name(&form.name)?;
    let accent = if form.use_accent {
        brand::check_accent(&form.accent)?
    } else {
        None
    };
    // An empty file field is no new logo; the size is looked at before anything is read.
    let logo = match form.logo.as_ref().filter(|file| file.len() > 0) {
        Some(file) if file.len() > brand::LOGO_MAX_BYTES as u64 => {
            return Err(Problem::new("problem_logo_too_large")
                .arg("kib", file.len().div_ceil(1024))
                .arg("max", brand::LOGO_MAX_BYTES / 1024));
        }
        Some(file) => LogoChange::Replace(brand::check_logo(&read(file).await?)?),
        None if form.remove_logo => LogoChange::Remove,
        None => LogoChange::Keep,
    };
    Ok((name, accent, logo))
}

async fn read(file: &TempFile<'_>) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::with_capacity(file.len() as usize);
    let unreadable = |_| Problem::new("problem_logo_unreadable");
    file.open()
        .await
        .map_err(unreadable)?
        .read_to_end(&mut bytes)
        .await
        .map_err(unreadable)?;
    Ok(bytes)
}
