from croniter import croniter

from portal.background import all_jobs, all_periodic


def test_every_job_and_periodic_job_has_a_unique_name_and_a_valid_cron():
    jobs, periodic = all_jobs(), all_periodic()
    job_names = [job.name for job in jobs]
    assert "exports.write_report" in job_names
    assert "mail.deliver" in job_names
    assert len(set(job_names)) == len(job_names)
    names = [task.name for task in periodic]
    assert len(set(names)) == len(names)
    assert all(croniter.is_valid(task.cron) for task in periodic)


def test_the_monthly_delivery_and_the_expiry_run_every_hour():
    crons = {task.name: task.cron for task in all_periodic()}
    assert crons["exports.deliver_monthly_reports"] == "5 * * * *"
    assert crons["exports.delete_expired_reports"] == "35 * * * *"
    assert crons["housekeeping.purge_ended_sessions"] == "17 * * * *"
