import { render } from '../../ui.js';
import './common.js';
export async function seriesListScreen() { render('seriesListScreen'); }
export async function newSeriesScreen() { render('newSeriesScreen'); }
export async function editSeriesScreen() { render('editSeriesScreen'); }
